"""What a decided row does to the registry, set-based: shared by the import, the review and undo.

Two writes only:
- `keep_earliest`: a waiting registration takes the earlier of its own date and the local
  list's (nobody loses their place), returning what each date was, for undo;
- `register_groups`: households from the file become registrations by the registration's own
  rules (`patients.services.derived_factors`, `patients.priority`), a known PHN handled as the
  public form handles it (the same person joins; other details or already waiting: held for
  an identity review, the registry's record untouched).
Each is a handful of statements whatever the number of rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from attachment.core import audit
from attachment.core.bulk import copy_insert
from patients.models import (
    IdentityConflict,
    Patient,
    Registration,
    RegistrationStatusChange,
    new_reference_code,
)
from patients.priority import compute_priority, needs_for
from patients.services import derived_factors

OPEN = [str(s) for s in Registration.OPEN_STATUSES]


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The start of `day` in the registry's time zone: a list date as a registered_at."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def keep_earliest(dates: dict[int, datetime.date], *, actor, why: str) -> dict[int, dict]:
    """Move each open registration's registered_at back to `dates[id]` where that is earlier.

    Locks the registrations (id order, so two imports cannot deadlock). Returns, for each
    open registration, {"registered_at": what it was, "moved": whether it moved}; a
    registration no longer open is left out (the caller decides what that row becomes).
    """
    if not dates:
        return {}
    ids = sorted(dates)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, registered_at FROM patients_registration WHERE id = ANY(%s::bigint[]) AND status = ANY(%s::text[])"
            " ORDER BY id FOR UPDATE",
            [ids, OPEN],
        )
        current = dict(cursor.fetchall())
        moved = {i: local_midnight(dates[i]) for i, at in current.items() if local_midnight(dates[i]) < at}
        if moved:
            cursor.execute(
                """
                UPDATE patients_registration r SET registered_at = v.at
                  FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at)
                 WHERE r.id = v.id
                """,
                [list(moved), list(moved.values())],
            )
    audit.record_many(
        [{"action": "update", "object_type": "patients.Registration", "object_id": i,
          "summary": f"Waiting since the local list's earlier date ({why})",
          "changes": {"registered_at": [current[i].isoformat(), at.isoformat()]}} for i, at in moved.items()],
        actor=actor,
    )
    return {i: {"registered_at": at.isoformat(), "moved": i in moved} for i, at in current.items()}


@dataclass
class Registered:
    registration: Registration
    people: list  # per row of the group: the Patient the row is (new, or the registry's)
    held: int


def register_groups(groups, *, actor, reason: str) -> list[Registered]:
    """Register each group of rows (one household) as one waiting registration.

    `groups` is a list of (rows, registered_on): rows have the ImportRow fields (names,
    date of birth, phn, gender, community_id, postal_code, phone, email, priority_factors);
    `registered_on` is the household's earliest list date. The first row is the main contact.
    """
    groups = [(rows, day) for rows, day in groups if rows]
    if not groups:
        return []
    user = actor.authenticated_user if actor is not None else None
    known = _known_people([r for rows, _ in groups for r in rows])
    today = timezone.localdate()

    registrations = []
    for rows, day in groups:
        first = rows[0]
        factors = derived_factors(list(dict.fromkeys(f for r in rows for f in r.priority_factors)), rows, today)
        registrations.append(Registration(
            source=Registration.Source.LOCAL_LIST, status=Registration.Status.WAITING,
            community_id=first.community_id, division_id=first.division_id,
            postal_code=next((r.postal_code for r in rows if r.postal_code), ""),
            phone=next((r.phone for r in rows if r.phone), ""),
            email=next((r.email for r in rows if r.email), ""),
            priority_factors=factors, needs=needs_for(factors), priority=compute_priority(factors).value,
            household_size=len(rows), registered_at=local_midnight(day), entered_by=user,
        ))
    _fresh_codes(registrations)
    copy_insert(Registration, registrations)

    new_people, reused, conflicts, history, out = [], [], [], [], []
    for registration, (rows, _) in zip(registrations, groups):
        people, held = [], 0
        for i, r in enumerate(rows):
            hit = known.get(r.phn) if r.phn else None
            if hit is not None and hit["hold"]:
                held += 1
                conflicts.append(IdentityConflict(
                    registration=registration, patient_id=hit["id"], kind=hit["hold"],
                    claimed_first_name=r.first_name, claimed_last_name=r.last_name,
                    claimed_date_of_birth=r.date_of_birth, claimed_gender=r.gender, claimed_primary_contact=i == 0,
                ))
                people.append(Patient(pk=hit["id"]))
            elif hit is not None:
                person = Patient(pk=hit["id"], registration=registration, is_primary_contact=i == 0)
                reused.append(person)
                people.append(person)
            else:
                person = Patient(phn=r.phn or None, first_name=r.first_name, last_name=r.last_name,
                                 date_of_birth=r.date_of_birth, gender=r.gender, postal_code=registration.postal_code,
                                 registration=registration, is_primary_contact=i == 0)
                new_people.append(person)
                people.append(person)
        history.append(RegistrationStatusChange(registration=registration, from_status="", to_status="waiting",
                                                by=user, reason=reason[:300]))
        out.append(Registered(registration, people, held))
    copy_insert(Patient, new_people)
    if reused:
        Patient.objects.bulk_update(reused, ["registration", "is_primary_contact"], batch_size=2000)
    IdentityConflict.objects.bulk_create(conflicts, batch_size=2000)
    copy_insert(RegistrationStatusChange, history)
    audit.record_many(
        [{"action": "create", "obj": r.registration,
          "summary": f"Registration of a household of {r.registration.household_size} from a local waitlist ({reason})"
          + (f"; held for a coordinator: {r.held} known PHN(s) with other details or already waiting"
             if r.held else ""),
          "changes": {"registered_at": [None, r.registration.registered_at.isoformat()]}} for r in out],
        actor=actor,
    )
    return out


def _fresh_codes(registrations) -> None:
    # 25**8 codes make a clash unlikely, not impossible: draw again for any already taken.
    for _ in range(5):
        codes = [r.reference_code for r in registrations]
        taken = set(Registration.objects.filter(reference_code__in=codes).values_list("reference_code", flat=True))
        seen, clash = set(), False
        for r in registrations:
            if r.reference_code in taken or r.reference_code in seen:
                r.reference_code, clash = new_reference_code(), True
            seen.add(r.reference_code)
        if not clash:
            return


def _known_people(rows) -> dict[str, dict]:
    """The registry's people under the rows' PHNs, locked, with how each row stands to them
    (patients.identity.same_person's rule, attach_name_key and the exact date of birth)."""
    rows = [r for r in rows if r.phn]
    if not rows:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT v.phn, p.id,
                   coalesce(r.status IN ('waiting', 'offered'), false),
                   p.date_of_birth = v.dob AND attach_name_key(p.first_name) = attach_name_key(v.first_name)
                   AND attach_name_key(p.last_name) = attach_name_key(v.last_name)
              FROM unnest(%s::text[], %s::text[], %s::text[], %s::date[]) AS v(phn, first_name, last_name, dob)
              JOIN patients_patient p ON p.phn = v.phn
              LEFT JOIN patients_registration r ON r.id = p.registration_id
             ORDER BY p.phn
               FOR UPDATE OF p
            """,
            [[r.phn for r in rows], [r.first_name for r in rows], [r.last_name for r in rows],
             [r.date_of_birth for r in rows]],
        )
        found = {}
        for phn, pk, waiting, same in cursor.fetchall():
            hold = IdentityConflict.Kind.DUPLICATE if waiting else ("" if same else IdentityConflict.Kind.DETAILS)
            found[phn] = {"id": pk, "hold": hold}
        return found
