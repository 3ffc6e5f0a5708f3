"""Invariants hold in the database itself: each test attempts the violation and expects the error."""

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.utils import timezone

from attachment.core import audit
from attachment.core.models import AuditEvent
from patients.models import Patient, Registration
from providers.models import CapacityDeclaration, Delegation, Provider
from registries.models import PanelEntry
from tests.factories import PatientFactory, ProviderFactory, UserFactory, household, next_phn

pytestmark = pytest.mark.django_db


def violates(exc=IntegrityError):
    return pytest.raises(exc)


def test_phn_is_unique():
    phn = next_phn()
    PatientFactory(phn=phn)
    with violates(), transaction.atomic():
        PatientFactory(phn=phn)


def test_impossible_phn_is_refused_by_the_database_even_through_raw_sql():
    with violates(), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO patients_patient (phn, first_name, last_name, date_of_birth, gender, postal_code,"
            " is_primary_contact, created_at) VALUES ('9698658216', 'A', 'B', '1990-01-01', '', '', false, now())"
        )


def test_capacity_never_negative(provider):
    with violates(), transaction.atomic():
        Provider.objects.filter(pk=provider.pk).update(open_capacity=-1)


def test_patient_has_at_most_one_open_panel_entry(clinic):
    patient = PatientFactory()
    first, second = ProviderFactory(clinic=clinic), ProviderFactory(clinic=clinic)
    today = timezone.localdate()
    PanelEntry.objects.create(patient=patient, provider=first, since=today, source="upload")
    with violates(), transaction.atomic():
        PanelEntry.objects.create(patient=patient, provider=second, since=today, source="attach")
    # An ended entry does not count: the patient may move to another provider.
    PanelEntry.objects.filter(patient=patient).update(ended_at=timezone.now(), end_reason="Moved away")
    PanelEntry.objects.create(patient=patient, provider=second, since=today, source="attach")


def test_ending_a_panel_entry_needs_a_reason(provider):
    entry = PanelEntry.objects.create(patient=PatientFactory(), provider=provider, since=timezone.localdate(), source="98990")
    with violates(), transaction.atomic():
        PanelEntry.objects.filter(pk=entry.pk).update(ended_at=timezone.now())


@pytest.mark.parametrize(
    "model_update",
    [
        lambda r: Registration.objects.filter(pk=r.pk).update(status="lost"),
        lambda r: Registration.objects.filter(pk=r.pk).update(household_size=0),
        lambda r: Registration.objects.filter(pk=r.pk).update(priority_override=9),  # an override needs a reason
    ],
    ids=["status value", "empty household", "override without reason"],
)
def test_registration_invariants(model_update):
    registration = household(1)
    with violates(), transaction.atomic():
        model_update(registration)


def test_state_values_are_constrained(provider, clinic):
    with violates(), transaction.atomic():
        PanelEntry.objects.create(patient=PatientFactory(), provider=provider, since=timezone.localdate(), source="fax")
    with violates(), transaction.atomic():
        Provider.objects.filter(pk=provider.pk).update(kind="MD")


def test_a_declaration_that_is_not_accepting_has_no_places(provider):
    with violates(), transaction.atomic():
        CapacityDeclaration.objects.create(provider=provider, accepting=False, new_patients=5)


def test_one_open_delegation_per_provider_and_delegate(provider):
    staff = UserFactory()
    Delegation.objects.create(provider=provider, delegate=staff)
    with violates(), transaction.atomic():
        Delegation.objects.create(provider=provider, delegate=staff)


def test_practitioner_number_is_unique(provider):
    with violates(), transaction.atomic():
        ProviderFactory(practitioner_number=provider.practitioner_number)


def test_audit_events_cannot_be_changed_or_deleted():
    event = audit.record(user=None, action="view", object_type="patients.Registration", object_id="1")
    with violates((InternalError, ProgrammingError, IntegrityError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="tampered")
    with violates((InternalError, ProgrammingError, IntegrityError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == ""


def test_effective_priority_is_the_override_when_set():
    registration = household(1, priority=3)
    registration.refresh_from_db()
    assert registration.effective_priority == 3
    Registration.objects.filter(pk=registration.pk).update(priority_override=8, priority_override_reason="Palliative")
    registration.refresh_from_db()
    assert registration.effective_priority == 8


def test_members_keep_their_phn_format():
    with violates(), transaction.atomic():
        Patient.objects.filter(pk=PatientFactory().pk).update(phn="ABC")
