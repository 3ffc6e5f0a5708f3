"""Delegation: endorsed by the provider, accepted by the MOA, ended by either; access follows at once."""

import pytest
from django.core.exceptions import PermissionDenied

from attachment.core import roles
from attachment.core.access import acting_providers
from attachment.core.models import AuditEvent
from providers import services
from providers.models import ClinicMembership, Delegation
from tests.factories import ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider_user(provider):
    user = UserFactory(username="dr-singh")
    roles.add_role(user, roles.PROVIDER)
    provider.user = user
    provider.save(update_fields=["user"])
    return user


@pytest.fixture
def staff(clinic):
    user = UserFactory(username="new-moa")
    ClinicMembership.objects.create(clinic=clinic, user=user)
    return user


def test_endorse_accept_end_grants_and_revokes_at_once(provider, provider_user, staff):
    delegation = services.endorse(provider, staff, by=provider_user)
    assert delegation.status == "endorsed" and not acting_providers(staff).exists()
    services.accept(delegation, by=staff)
    assert list(acting_providers(staff)) == [provider]
    assert roles.has_role(staff, roles.MOA)
    services.end(delegation, by=staff)
    # A fresh user object: no permission cache can hide the revocation.
    from django.contrib.auth import get_user_model

    assert not acting_providers(get_user_model().objects.get(pk=staff.pk)).exists()
    delegation.refresh_from_db()
    assert delegation.status == "ended" and delegation.ended_by == staff
    actions = AuditEvent.objects.filter(object_type="providers.Delegation", object_id=str(delegation.pk))
    assert actions.filter(action="delegation").count() == 3


def test_provider_can_end_it_too(provider, provider_user, moa):
    delegation = Delegation.objects.get(delegate=moa)
    services.end(delegation, by=provider_user)
    assert not acting_providers(moa).exists()


def test_only_the_provider_endorses_and_only_the_delegate_accepts(provider, provider_user, staff, moa):
    with pytest.raises(PermissionDenied):
        services.endorse(provider, staff, by=moa)
    delegation = services.endorse(provider, staff, by=provider_user)
    with pytest.raises(PermissionDenied):
        services.accept(delegation, by=moa)
    with pytest.raises(services.DelegationError):
        services.endorse(provider, staff, by=provider_user)  # already endorsed
    outsider = UserFactory()
    with pytest.raises(services.DelegationError):
        services.endorse(provider, outsider, by=provider_user)  # not staff of the provider's clinics
    stranger = UserFactory()
    with pytest.raises(PermissionDenied):
        services.end(delegation, by=stranger)


def test_moa_acts_only_for_providers_who_delegated(provider, moa, clinic):
    other = ProviderFactory(clinic=clinic)
    assert list(acting_providers(moa)) == [provider]
    assert other not in acting_providers(moa)


def test_removing_staff_ends_their_delegations(provider, moa, clinic):
    lead = UserFactory(username="lead")
    membership = ClinicMembership.objects.get(user=moa)
    services.remove_staff(membership, by=lead)
    assert not acting_providers(moa).exists()
    assert Delegation.objects.get(delegate=moa).status == "ended"


# --- either side starts it; the other is emailed to confirm (seed 001) ---------------------

PUBLIC = "https://attach.example.ca"


@pytest.fixture
def public_url(settings):
    settings.ATTACH_PUBLIC_URL = PUBLIC


def test_the_provider_endorses_and_the_staff_member_is_emailed_to_confirm(
    provider, provider_user, staff, mailoutbox, public_url, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.endorse(provider, staff, by=provider_user)
    assert [m.to for m in mailoutbox] == [[staff.email]]
    assert f"{PUBLIC}/clinic/" in mailoutbox[0].body and str(provider) in mailoutbox[0].subject


def test_a_staff_member_asks_and_the_provider_confirms(
    provider, provider_user, staff, mailoutbox, public_url, django_capture_on_commit_callbacks
):
    assert list(services.providers_to_ask(staff)) == [provider]
    with django_capture_on_commit_callbacks(execute=True):
        delegation = services.request_endorsement(provider, by=staff)
    assert delegation.status == "requested" and delegation.endorsed_by == staff
    assert not acting_providers(staff).exists()  # nothing until the provider confirms
    assert [m.to for m in mailoutbox] == [[provider_user.email]]
    assert f"{PUBLIC}/clinic/providers/{provider.pk}/delegations/" in mailoutbox[0].body

    with pytest.raises(PermissionDenied):
        services.accept(delegation, by=staff)  # one cannot confirm one's own request
    services.accept(delegation, by=provider_user)
    assert list(acting_providers(staff)) == [provider] and roles.has_role(staff, roles.MOA)
    events = AuditEvent.objects.filter(object_type="providers.Delegation", object_id=str(delegation.pk))
    assert events.count() == 2 and events.filter(summary__contains="confirmed").exists()


def test_asking_is_for_staff_of_the_providers_clinics_once(provider, provider_user, staff):
    from providers.services import DelegationError
    from tests.factories import ClinicFactory

    outsider = UserFactory(username="outsider")
    ClinicMembership.objects.create(clinic=ClinicFactory(), user=outsider)
    with pytest.raises(DelegationError):
        services.request_endorsement(provider, by=outsider)
    services.request_endorsement(provider, by=staff)
    with pytest.raises(DelegationError, match="already"):
        services.request_endorsement(provider, by=staff)
    with pytest.raises(DelegationError, match="asked to act for you"):
        services.endorse(provider, staff, by=provider_user)
    assert not services.providers_to_ask(staff).exists()


def test_a_provider_without_an_account_cannot_be_asked(provider, staff):
    from providers.services import DelegationError

    assert provider.user_id is None
    with pytest.raises(DelegationError):
        services.request_endorsement(provider, by=staff)


def test_asking_and_confirming_through_the_pages(client, provider, provider_user, staff, clinic):
    from django.urls import reverse

    from tests.conftest import login

    roles.add_role(staff, roles.MOA)
    login(client, staff)
    page = client.get(reverse("providers:workspace")).content.decode()
    assert "Ask a provider to let you act for them" in page and str(provider) in page
    client.post(reverse("providers:delegation_request"), {"provider": provider.pk})
    delegation = Delegation.objects.get(delegate=staff, provider=provider)
    assert delegation.status == "requested"
    assert "Withdraw the request" in client.get(reverse("providers:workspace")).content.decode()
    assert client.post(reverse("providers:delegation_accept", args=[delegation.pk])).status_code == 404

    login(client, provider_user)
    assert "Staff asking to act for you" in client.get(reverse("providers:workspace")).content.decode()
    page = client.get(reverse("providers:delegations", args=[provider.pk])).content.decode()
    assert "asked by the staff member" in page and f"Confirm {staff.get_full_name()}" in page
    response = client.post(reverse("providers:delegation_accept", args=[delegation.pk]))
    assert response.url == reverse("providers:delegations", args=[provider.pk])
    delegation.refresh_from_db()
    assert delegation.status == "active"
    login(client, staff)
    assert client.get(reverse("registries:panel", args=[provider.pk])).status_code == 200
