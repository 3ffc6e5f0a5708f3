"""Clinic pages: who may see and do what. An MOA's scope is exactly the providers who delegated to them."""

import datetime

import pytest
from django.urls import reverse

from attachment.core import roles
from attachment.core.models import AuditEvent
from providers.models import CapacityDeclaration, Delegation
from registries.models import PanelEntry
from tests.conftest import login
from tests.factories import ClinicFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger_provider(db, kamloops):
    return ProviderFactory(clinic=ClinicFactory(community=kamloops), last_name="Other", first_name="Olive")


def test_workspace_lists_only_delegating_providers_with_open_capacity_and_offers_link(client, moa, provider, stranger_provider):
    provider.open_capacity = 7
    provider.save()
    page = login(client, moa).get(reverse("providers:workspace")).content.decode()
    assert "Amrit Singh" in page and "Olive Other" not in page
    assert 'href="/matching/offers/"' in page
    assert f'data-testid="open-capacity-{provider.pk}">7<' in page


@pytest.mark.parametrize("name", ["providers:provider", "providers:capacity", "providers:provider_edit", "providers:delegations"])
def test_moa_gets_404_for_a_provider_who_did_not_delegate(client, moa, provider, stranger_provider, name):
    login(client, moa)
    assert client.get(reverse(name, args=[provider.pk])).status_code == 200
    assert client.get(reverse(name, args=[stranger_provider.pk])).status_code == 404


def test_other_roles_are_refused(client, manager, provider):
    login(client, manager)
    assert client.get(reverse("providers:workspace")).status_code == 403
    assert client.get(reverse("providers:capacity", args=[provider.pk])).status_code == 403


def test_anonymous_is_sent_to_login(client, provider):
    response = client.get(reverse("providers:capacity", args=[provider.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_declaring_capacity_through_the_page_keeps_history(client, moa, provider):
    login(client, moa)
    url = reverse("providers:capacity", args=[provider.pk])
    bad = client.post(url, {"accepting": "no", "new_patients": "4", "monthly_intake": "0", "complexity": "moderate"})
    assert bad.status_code == 200 and "must be 0" in bad.content.decode()
    assert not CapacityDeclaration.objects.exists()
    client.post(url, {"accepting": "yes", "new_patients": "10", "monthly_intake": "3", "complexity": "high"})
    client.post(url, {"accepting": "yes", "new_patients": "6", "monthly_intake": "3", "complexity": "high", "note": "fewer"})
    provider.refresh_from_db()
    assert provider.open_capacity == 6
    page = client.get(url).content.decode()
    assert page.count("<td class=\"num\">10</td>") == 1 and "fewer" in page


def test_ending_a_delegation_from_the_page_revokes_access_at_once(client, moa, provider):
    login(client, moa)
    assert client.get(reverse("providers:capacity", args=[provider.pk])).status_code == 200
    delegation = Delegation.objects.get(delegate=moa)
    client.post(reverse("providers:delegation_end", args=[delegation.pk]))
    assert client.get(reverse("providers:capacity", args=[provider.pk])).status_code == 404
    assert client.get(reverse("registries:upload_new", args=[provider.pk])).status_code == 404
    assert "Amrit Singh" not in client.get(reverse("providers:workspace")).content.decode()


def test_provider_endorses_and_moa_accepts_through_the_pages(client, provider, clinic):
    from providers.models import ClinicMembership

    dr = UserFactory(username="dr")
    roles.add_role(dr, roles.PROVIDER)
    provider.user = dr
    provider.save()
    staff = UserFactory(username="staffer")
    roles.add_role(staff, roles.MOA)
    ClinicMembership.objects.create(clinic=clinic, user=staff)
    login(client, dr)
    client.post(reverse("providers:delegations", args=[provider.pk]), {"delegate": staff.pk})
    delegation = Delegation.objects.get(delegate=staff)
    client.logout()
    login(client, staff)
    assert client.get(reverse("registries:panel", args=[provider.pk])).status_code == 404
    client.post(reverse("providers:delegation_accept", args=[delegation.pk]))
    assert client.get(reverse("registries:panel", args=[provider.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="delegation", object_id=str(delegation.pk)).count() == 2


def test_clinic_page_readable_by_coordinator_editable_only_by_lead(client, coordinator, clinic, other_coordinator):
    login(client, coordinator)
    assert client.get(reverse("providers:clinic", args=[clinic.pk])).status_code == 200
    assert client.get(reverse("providers:clinic_edit", args=[clinic.pk])).status_code == 403
    client.logout()
    login(client, other_coordinator)
    assert client.get(reverse("providers:clinic", args=[clinic.pk])).status_code == 404
    client.logout()
    lead = UserFactory(username="lead")
    roles.add_role(lead, roles.CLINIC_LEAD)
    from guardian.shortcuts import assign_perm

    assign_perm("providers.manage_clinic", lead, clinic)
    login(client, lead)
    data = {"name": "Kamloops Family Practice", "community": clinic.community_id, "address": "1 New Road",
            "postal_code": "V2C 1A1", "phone": "250-555-0100", "fax": "", "email": "front@example.org",
            "languages": ["en", "fr"], "accessibility_notes": "Ramp at the back", "hours_mon": "08:30-17:00"}
    response = client.post(reverse("providers:clinic_edit", args=[clinic.pk]), data)
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.address == "1 New Road" and clinic.hours["mon"] == "08:30-17:00" and clinic.languages == ["en", "fr"]
    assert AuditEvent.objects.filter(object_type="providers.Clinic", action="update").exists()
    page = client.get(reverse("providers:clinic", args=[clinic.pk])).content.decode()
    assert "Ramp at the back" in page and "08:30-17:00" in page


def test_capacity_page_renders_a_declaration_nobody_is_recorded_for(client, moa, provider):
    # Seeded and imported declarations have no declared_by (the model allows it).
    CapacityDeclaration.objects.create(provider=provider, accepting=True, new_patients=3, monthly_intake=1,
                                       declared_by=None)
    response = login(client, moa).get(reverse("providers:capacity", args=[provider.pk]))
    assert response.status_code == 200
    assert "<td>—</td>" in response.content.decode()


def test_a_clinic_lead_reads_the_provider_profile_but_not_the_panel_unless_delegated(client, clinic, provider):
    from guardian.shortcuts import assign_perm

    from tests.factories import PatientFactory

    patient = PatientFactory(first_name="Ming", last_name="Joe")
    PanelEntry.objects.create(provider=provider, patient=patient, since=datetime.date(2020, 1, 1), source="upload")
    lead = UserFactory(username="lead")
    roles.add_role(lead, roles.CLINIC_LEAD)
    assign_perm("providers.manage_clinic", lead, clinic)
    login(client, lead)
    assert client.get(reverse("providers:provider", args=[provider.pk])).status_code == 200
    # Names, PHNs and dates of birth are the provider's and their delegates' to read.
    response = client.get(reverse("registries:panel", args=[provider.pk]))
    assert response.status_code == 404 and patient.phn not in response.content.decode()
    Delegation.objects.create(provider=provider, delegate=lead, status=Delegation.Status.ACTIVE)
    roles.grant_provider(lead, provider)
    response = client.get(reverse("registries:panel", args=[provider.pk]))
    assert response.status_code == 200 and patient.phn in response.content.decode()
