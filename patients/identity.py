"""Who a known person is: never changed by a public form or a file, only by a coordinator.

A PHN the registry knows, arriving with another name or date of birth (or already on another
open registration), is an IdentityConflict: the registration is held (not matched, offered or
attached) until a coordinator of its division compares the two side by side and decides.
Names are the same when they differ only in case, accents and white space (the database's
attach_name_key, one rule for forms and files); dates of birth must be equal.
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from attachment.core import audit
from attachment.core.errors import DomainError
from patients.models import IdentityConflict, Patient, Registration


class IdentityError(DomainError):
    pass


def same_person(patient: Patient, *, first_name: str, last_name: str, date_of_birth: datetime.date) -> bool:
    """Whether these details are the registry's for `patient` (attach_name_key, exact date of birth)."""
    if patient.date_of_birth != date_of_birth:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attach_name_key(%s) = attach_name_key(%s) AND attach_name_key(%s) = attach_name_key(%s)",
            [patient.first_name, first_name, patient.last_name, last_name],
        )
        return bool(cursor.fetchone()[0])


def is_held(registration_id: int) -> bool:
    return IdentityConflict.objects.filter(registration_id=registration_id, resolved_at__isnull=True).exists()


def open_conflict_exists():
    """For Registration querysets: whether the registration is held for an identity review."""
    return Exists(IdentityConflict.objects.filter(registration=OuterRef("pk"), resolved_at__isnull=True))


def open_conflicts(divisions):
    """The coordinators' queue: held registrations of their divisions, oldest first."""
    return (
        IdentityConflict.objects.filter(resolved_at__isnull=True, registration__division__in=divisions)
        .select_related("registration", "registration__community", "patient", "patient__registration")
        .order_by("created_at", "pk")
    )


@transaction.atomic
def resolve(conflict: IdentityConflict, *, resolution: str, note: str = "", by, actor=None) -> IdentityConflict:
    """Same person: the claimed details become the registry's (audited with the diff) and the
    person joins the registration. Different person: the registration is closed (ineligible,
    with the reason), and every open conflict of it is resolved with it."""
    conflict = IdentityConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.resolved_at:
        raise IdentityError("This identity conflict has already been resolved.")
    if resolution not in IdentityConflict.Resolution.values:
        raise IdentityError({"resolution": "Choose whether this is the same person."})
    note = (note or "").strip()
    registration = Registration.objects.select_for_update().get(pk=conflict.registration_id)
    person = Patient.objects.select_for_update(of=("self",)).select_related("registration").get(pk=conflict.patient_id)
    now = timezone.now()
    if resolution == IdentityConflict.Resolution.SAME:
        other = person.registration
        if other is not None and other.pk != registration.pk and other.status in Registration.OPEN_STATUSES:
            raise IdentityError(
                f"This person is on open registration {other.reference_code}; close that one first "
                "(or close this one as not the same person)."
            )
        fields = ["first_name", "last_name", "date_of_birth", "gender"]
        before = audit.snapshot(person, fields)
        person.first_name, person.last_name = conflict.claimed_first_name, conflict.claimed_last_name
        person.date_of_birth = conflict.claimed_date_of_birth
        person.gender = conflict.claimed_gender or person.gender
        person.registration, person.is_primary_contact = registration, conflict.claimed_primary_contact
        person.save(update_fields=fields + ["registration", "is_primary_contact"])
        audit.record(user=by, action="update", obj=person, actor=actor, reason=note,
                     summary=f"Identity confirmed for {registration.reference_code}: details accepted",
                     changes={**audit.diff(person, before, fields), "registration": [
                         other.reference_code if other else None, registration.reference_code]})
        closing = [conflict]
    else:
        closing = list(
            IdentityConflict.objects.select_for_update()
            .filter(registration=registration, resolved_at__isnull=True).order_by("pk")
        )
    for c in closing:
        c.resolution, c.resolution_note = resolution, note[:300]
        c.resolved_at, c.resolved_by = now, by
        c.save(update_fields=["resolution", "resolution_note", "resolved_at", "resolved_by"])
        audit.record(user=by, action="update", obj=c, actor=actor, reason=note,
                     summary=f"Identity conflict resolved: {c.get_resolution_display()}")
    if resolution == IdentityConflict.Resolution.DIFFERENT and registration.is_open:
        from patients.services import set_status

        set_status(registration, Registration.Status.INELIGIBLE, by=by, actor=actor,
                   reason=("Identity not confirmed: a PHN on this registration belongs to somebody else"
                           + (f" ({note})" if note else ""))[:300])
    conflict.refresh_from_db()
    return conflict
