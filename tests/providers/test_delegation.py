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
