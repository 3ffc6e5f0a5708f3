"""A small, hand-countable registry for the report tests."""

import datetime
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from patients.models import Registration, RegistrationStatusChange
from providers.models import CapacityDeclaration
from registries.models import PanelEntry
from tests.factories import (
    ClinicFactory,
    PatientFactory,
    ProviderFactory,
    RegistrationFactory,
    community,
)


@dataclass
class Seeded:
    """What was created, in plain Python, so tests count it by hand."""

    registrations: list = field(default_factory=list)  # (community name, status, registered days ago, changed days ago, size, priority)
    patients: list = field(default_factory=list)
    providers: list = field(default_factory=list)  # (community name, accepting, declared, open places, panel size)


def _at(days_ago, today_noon):
    return today_noon - datetime.timedelta(days=days_ago)


def make_registration(seeded, name, *, status="waiting", registered=30, changed=None, size=1, priority=0, today_noon):
    reg = RegistrationFactory(
        community=community(name), registered_at=_at(registered, today_noon), household_size=size, priority=priority,
    )
    for i in range(size):
        seeded.patients.append(PatientFactory(registration=reg, is_primary_contact=(i == 0)))
    if status != "waiting":
        # Bulk-loaded history is often missing; the attached ones here get a recorded move.
        Registration.objects.filter(pk=reg.pk).update(status=status, status_changed_at=_at(changed, today_noon))
        if status == "attached":
            change = RegistrationStatusChange.objects.create(registration=reg, from_status="waiting", to_status="attached")
            RegistrationStatusChange.objects.filter(pk=change.pk).update(at=_at(changed, today_noon))
    seeded.registrations.append((name, status, registered, changed, size, priority))
    return reg


@pytest.fixture
def today_noon():
    today = timezone.localdate()
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time(12, 0)))


@pytest.fixture
def seeded(db, today_noon):
    """Thompson: Kamloops busy, Chase small (counts under 10), Barriere in between; Victoria elsewhere."""
    s = Seeded()
    kw = {"today_noon": today_noon}
    # Kamloops: 30 waiting (registered 1..59 days ago), 20 attached 1..20 days ago.
    for i in range(30):
        make_registration(s, "Kamloops", registered=1 + 2 * i, size=1 + (i % 3 == 0), priority=4 if i % 5 == 0 else 0, **kw)
    for i in range(20):
        make_registration(s, "Kamloops", status="attached", registered=40 + 3 * i, changed=1 + i, priority=2 if i % 2 else 0, **kw)
    # Chase: 4 waiting, 1 attached: every figure is a small cell.
    for i in range(4):
        make_registration(s, "Chase", registered=5 + i, **kw)
    make_registration(s, "Chase", status="attached", registered=50, changed=6, **kw)
    # Barriere: 11 waiting, 2 withdrawn (no history rows: left at their last status change).
    for i in range(11):
        make_registration(s, "Barriere", registered=10 + i * 5, **kw)
    for i in range(2):
        make_registration(s, "Barriere", status="withdrawn", registered=70, changed=20 + i, **kw)
    # Victoria (another division): must never appear in Thompson's figures.
    for i in range(15):
        make_registration(s, "Victoria", registered=3 + i, **kw)

    kamloops_clinic = ClinicFactory(community=community("Kamloops"))
    chase_clinic = ClinicFactory(community=community("Chase"))
    for clinic, accepting, declared, open_places, panel in [
        (kamloops_clinic, True, 20, 15, 150), (kamloops_clinic, True, 5, 5, 3), (kamloops_clinic, False, 0, 0, 0),
        (chase_clinic, True, 12, 12, 2),
    ]:
        provider = ProviderFactory(clinic=clinic, accepting=accepting, open_capacity=open_places)
        CapacityDeclaration.objects.create(provider=provider, accepting=accepting, new_patients=declared)
        s.providers.append((clinic.community.name, accepting, declared, open_places, panel))
        if panel:
            people = PatientFactory.create_batch(panel)
            PanelEntry.objects.bulk_create([
                PanelEntry(patient=p, provider=provider, since=datetime.date(2020, 1, 1), source="upload") for p in people
            ])
    return s
