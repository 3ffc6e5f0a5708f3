"""The administrator's user screen: roles and scopes on one form, audited; job runs read-only."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from attachment.core import access, roles
from attachment.core.models import AuditEvent, JobRun
from providers.models import Delegation
from registries.models import Community
from tests.conftest import login
from tests.factories import UserFactory, household

pytestmark = pytest.mark.django_db


def change_url(user):
    return reverse("admin:auth_user_change", args=[user.pk])


def form_post(client, user, **changes) -> dict:
    """The change form's POST as the browser would send it, with `changes` applied."""
    form = client.get(change_url(user)).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if name in ("last_login", "date_joined"):  # split date and time widgets
            data[f"{name}_0"], data[f"{name}_1"] = (
                (value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")) if value else ("", ""))
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[name] = str(value)
    for name, value in changes.items():
        if isinstance(value, (list, tuple)):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[name] = value
    return data


@pytest.fixture
def new_coordinator(db):
    user = UserFactory(username="new-coordinator")
    roles.add_role(user, roles.COORDINATOR)
    return user


def test_an_admin_gives_a_coordinator_a_division_and_takes_it_away(client, administrator, new_coordinator, thompson):
    mine = household(1)
    login(client, new_coordinator)
    page = client.get(reverse("patients:waitlist"))
    assert "none assigned" in page.content.decode()
    assert mine.reference_code not in page.content.decode()

    login(client, administrator)
    response = client.post(change_url(new_coordinator), form_post(client, new_coordinator, coordinates=[thompson]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(access.coordinator_divisions(new_coordinator)) == [thompson]
    event = AuditEvent.objects.get(object_type="auth.User", object_id=str(new_coordinator.pk))
    assert event.user == administrator
    assert "Thompson" in event.summary and "granted" in event.summary
    assert event.ip_address == "127.0.0.1"

    login(client, new_coordinator)
    page = client.get(reverse("patients:waitlist")).content.decode()
    assert mine.reference_code in page
    assert client.get(reverse("patients:registration", args=[mine.pk])).status_code == 200

    login(client, administrator)
    response = client.post(change_url(new_coordinator), form_post(client, new_coordinator, coordinates=[]))
    assert response.status_code == 302
    assert not access.coordinator_divisions(new_coordinator).exists()
    removed = AuditEvent.objects.filter(object_type="auth.User", object_id=str(new_coordinator.pk)).first()
    assert "removed" in removed.summary and removed.changes["registries.coordinate_division"]["removed"]

    login(client, new_coordinator)
    assert mine.reference_code not in client.get(reverse("patients:waitlist")).content.decode()
    assert client.get(reverse("patients:registration", args=[mine.pk])).status_code == 404


def test_a_scope_without_its_role_is_refused_and_nothing_is_applied(client, administrator, thompson):
    plain = UserFactory(username="no-role-yet")
    login(client, administrator)
    response = client.post(change_url(plain), form_post(client, plain, reads_reports=[thompson]))
    assert response.status_code == 200
    assert "Division manager role" in str(response.context["adminform"].form.errors)
    assert not access.manager_divisions(plain).exists()
    assert not AuditEvent.objects.filter(object_type="auth.User").exists()


def test_roles_and_clinic_scope_are_set_together_and_audited(client, administrator, clinic):
    lead = UserFactory(username="future-lead")
    login(client, administrator)
    lead_group = roles.Group.objects.get(name=roles.CLINIC_LEAD)
    response = client.post(change_url(lead), form_post(client, lead, groups=[lead_group], manages_clinics=[clinic]))
    assert response.status_code == 302
    lead = get_user_model().objects.get(pk=lead.pk)
    assert list(access.managed_clinics(lead)) == [clinic]
    summaries = list(AuditEvent.objects.filter(object_id=str(lead.pk)).values_list("summary", flat=True))
    assert any("Roles of future-lead: Clinic lead" in s for s in summaries)
    assert any("manages" in s and clinic.name in s for s in summaries)


def test_the_user_list_shows_roles_and_scopes(client, administrator, coordinator, manager, moa, provider,
                                                  django_assert_max_num_queries):
    login(client, administrator)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "Roles and scopes" in page
    assert "Attachment coordinator · coordinates: Thompson Region" in page
    assert "Division manager · reads reports of: Thompson Region" in page
    assert f"Clinic MOA · acts for: {provider}" in page


def test_acting_for_is_shown_read_only_with_a_link_to_the_delegations(client, administrator, moa, provider):
    login(client, administrator)
    response = client.get(change_url(moa))
    form = response.context["adminform"].form
    assert "acts_for" not in form.fields
    page = response.content.decode()
    assert str(provider) in page
    link = reverse("admin:providers_delegation_changelist") + f"?delegate__id__exact={moa.pk}"
    assert link in page
    delegations = client.get(link)
    assert delegations.status_code == 200
    assert list(delegations.context["cl"].queryset) == list(Delegation.objects.filter(delegate=moa))


def test_job_runs_cannot_be_added_changed_or_deleted(client, administrator):
    run = JobRun.objects.create(name="nightly", outcome=JobRun.Outcome.SUCCEEDED)
    login(client, administrator)
    assert client.get(reverse("admin:attachment_jobrun_changelist")).status_code == 200
    assert client.get(reverse("admin:attachment_jobrun_change", args=[run.pk])).status_code == 200  # view only
    assert client.post(reverse("admin:attachment_jobrun_change", args=[run.pk]),
                       {"name": "forged", "outcome": "failed"}).status_code == 403
    assert client.post(reverse("admin:attachment_jobrun_delete", args=[run.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:attachment_jobrun_add")).status_code == 403
    run.refresh_from_db()
    assert run.name == "nightly"
    assert JobRun.objects.filter(pk=run.pk).exists()


def test_victoria_is_not_given_by_giving_thompson(client, administrator, new_coordinator, thompson):
    victoria = household(1, community=Community.objects.get(name="Victoria"))
    login(client, administrator)
    client.post(change_url(new_coordinator), form_post(client, new_coordinator, coordinates=[thompson]))
    login(client, new_coordinator)
    assert client.get(reverse("patients:registration", args=[victoria.pk])).status_code == 404


def test_an_admin_gives_a_care_coordinator_a_pcn(client, administrator, kamloops):
    from registries.models import PCN

    user = UserFactory(username="new-care-coordinator")
    roles.add_role(user, roles.CARE_COORDINATOR)
    pcn = PCN.objects.get(pk=kamloops.pcn_id)
    login(client, administrator)
    response = client.post(change_url(user), form_post(client, user, coordinates_care=[pcn]))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert list(access.care_pcns(user)) == [pcn]
    assert AuditEvent.objects.filter(object_id=str(user.pk), summary__contains=pcn.name).exists()
