import datetime

import pytest
from django.utils import timezone

from attachment.core import roles
from attachment.core.audit import Actor
from care.models import Programme
from providers.models import ClinicMembership, Delegation
from registries.models import PCN, PanelEntry
from tests.factories import ClinicFactory, PatientFactory, ProviderFactory, UserFactory, community


def on_panel(provider, **patient_fields):
    patient = PatientFactory(**patient_fields)
    PanelEntry.objects.create(patient=patient, provider=provider, since=datetime.date(2024, 1, 1), source="upload")
    return patient


def actor(user):
    return Actor(user=user, ip_address="10.0.0.9", user_agent="pytest")


@pytest.fixture
def kamloops_pcn(kamloops):
    return kamloops.pcn


@pytest.fixture
def shuswap_pcn(db):
    # Another PCN of the same division (Thompson Region): scope is the PCN, not the division.
    return PCN.objects.get(name="Shuswap PCN")


@pytest.fixture
def care_coordinator(db, kamloops_pcn):
    user = UserFactory(username="care-coordinator")
    roles.grant_pcn(user, kamloops_pcn)
    return user


@pytest.fixture
def colleague(db, kamloops_pcn):
    user = UserFactory(username="care-colleague")
    roles.grant_pcn(user, kamloops_pcn)
    return user


@pytest.fixture
def shuswap_coordinator(db, shuswap_pcn):
    user = UserFactory(username="shuswap-coordinator")
    roles.grant_pcn(user, shuswap_pcn)
    return user


@pytest.fixture
def provider_user(db, provider):
    user = UserFactory(username="dr-singh")
    roles.add_role(user, roles.PROVIDER)
    provider.user = user
    provider.save(update_fields=["user"])
    return user


@pytest.fixture
def second_provider(db, clinic):
    return ProviderFactory(clinic=clinic, last_name="Okafor", first_name="Daniel")


@pytest.fixture
def other_moa(db, clinic, second_provider):
    """An MOA of the same clinic, delegated by another provider only."""
    user = UserFactory(username="other-moa")
    roles.add_role(user, roles.MOA)
    ClinicMembership.objects.create(clinic=clinic, user=user, role=ClinicMembership.Role.MOA)
    Delegation.objects.create(provider=second_provider, delegate=user, status=Delegation.Status.ACTIVE)
    roles.grant_provider(user, second_provider)
    return user


@pytest.fixture
def shuswap_provider(db):
    clinic = ClinicFactory(community=community("Salmon Arm"), name="Salmon Arm Clinic")
    return ProviderFactory(clinic=clinic, last_name="Fraser")


@pytest.fixture
def patient(provider):
    return on_panel(provider, first_name="Edith", last_name="Marchetti", date_of_birth=datetime.date(1938, 2, 11))


@pytest.fixture
def shuswap_patient(shuswap_provider):
    return on_panel(shuswap_provider, first_name="Walter", last_name="Brandt", date_of_birth=datetime.date(1941, 7, 3))


@pytest.fixture
def frailty():
    return Programme.objects.get(code="frailty")


@pytest.fixture
def today():
    return timezone.localdate()
