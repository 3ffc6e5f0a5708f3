"""Probable duplicate people on the waitlist itself: found nightly, decided by coordinators.

The nightly job (`tasks.find_registry_duplicates`) runs the linkage's `dedupe` over the
members of waiting registrations and keeps each pair once (refreshed when found again; a
pair a coordinator decided stays decided). A coordinator of the first person's division
sees the two side by side with the evidence, and merges them or marks them distinct.

A merge never changes who someone is. The person kept is the one with a PHN (if only one
has it), else the one waiting longest; two different valid PHNs are two people in the
registry's records and are refused here (correct the PHN on the registration, where a
known PHN goes through the identity review). The other person's registration is folded
into the kept one: the kept registration waits since the earlier of the two dates; the
folded one is withdrawn with the reason (its history kept), or, when it holds other
people too, only the duplicate person leaves it. An undo restores both exactly.
"""

from __future__ import annotations

import datetime
import json
import time

from django.db import connection, transaction
from django.utils import timezone

from attachment.core import audit
from attachment.core.errors import DomainError
from linkage import registry_frame
from linkage.models import DuplicatePair
from patients.models import Patient, Registration
from patients.services import set_status


class DuplicateError(DomainError):
    pass


def find_duplicates(*, settings=None) -> dict:
    """Run dedupe over the waiting registrations' people and keep the pairs (one upsert)."""
    from linkage import engine

    started = time.perf_counter()
    people = registry_frame.waiting_frame()
    pairs = engine.dedupe(people, settings=settings) if people.height else []
    rows = []
    for p in pairs:
        a, b = sorted((int(p.a), int(p.b)))
        if a != b:
            rows.append((a, b, float(p.score), list(p.evidence), p.decision))
    now = timezone.now()
    new = 0
    if rows:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO linkage_duplicatepair (a_id, b_id, division_id, score, evidence, suggestion, status,
                                                   found_at, last_seen_at, before, note)
                SELECT v.a, v.b, r.division_id, v.score, v.evidence::jsonb, v.suggestion, 'open', %s, %s, '{}', ''
                  FROM unnest(%s::bigint[], %s::bigint[], %s::float8[], %s::text[], %s::text[])
                       AS v(a, b, score, evidence, suggestion)
                  JOIN patients_patient p ON p.id = v.a
                  JOIN patients_registration r ON r.id = p.registration_id
                ON CONFLICT (a_id, b_id) DO UPDATE
                   SET score = EXCLUDED.score, evidence = EXCLUDED.evidence, suggestion = EXCLUDED.suggestion,
                       last_seen_at = EXCLUDED.last_seen_at
                 WHERE linkage_duplicatepair.status = 'open'
                RETURNING (xmax = 0)
                """,
                [now, now, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                 [json.dumps(r[3]) for r in rows], [r[4] for r in rows]],
            )
            new = sum(1 for (inserted,) in cursor.fetchall() if inserted)
    return {"people": people.height, "pairs": len(rows), "new": new,
            "seconds": round(time.perf_counter() - started, 2)}


def queue(divisions):
    return (DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN, division__in=divisions)
            .select_related("a__registration__community", "b__registration__community").order_by("-score", "pk"))


def _keeper(a: Patient, b: Patient) -> tuple[Patient, Patient]:
    if a.phn and b.phn and a.phn != b.phn:
        raise DuplicateError("These two people have different valid PHNs: the registry holds them as two people. "
                             "If one PHN is wrong, correct it on its registration; otherwise mark them distinct.")
    if bool(a.phn) != bool(b.phn):
        return (a, b) if a.phn else (b, a)
    return (a, b) if (a.registration.registered_at, a.pk) <= (b.registration.registered_at, b.pk) else (b, a)


@transaction.atomic
def merge_pair(pair: DuplicatePair, *, note: str = "", actor) -> DuplicatePair:
    pair = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
    if pair.status != DuplicatePair.Status.OPEN:
        raise DuplicateError("This pair has already been decided.")
    people = {p.pk: p for p in Patient.objects.select_for_update().filter(pk__in=[pair.a_id, pair.b_id]).order_by("pk")}
    a, b = people[pair.a_id], people[pair.b_id]
    if not (a.registration_id and b.registration_id):
        raise DuplicateError("One of the two is no longer on a registration.")
    regs = {r.pk: r for r in Registration.objects.select_for_update()
            .filter(pk__in={a.registration_id, b.registration_id}).order_by("pk")}
    a.registration, b.registration = regs[a.registration_id], regs[b.registration_id]
    if any(r.status != Registration.Status.WAITING for r in regs.values()):
        raise DuplicateError("Both registrations must be waiting to be merged.")
    kept_person, other = _keeper(a, b)
    kept, folded = kept_person.registration, other.registration
    note = (note or "").strip()[:300]
    before = {"kept_registered_at": kept.registered_at.isoformat(), "other_person": other.pk,
              "other_registration": folded.pk, "other_primary": other.is_primary_contact,
              "folded_household_size": folded.household_size, "folded_status": folded.status}
    earliest = min(kept.registered_at, folded.registered_at)
    if earliest != kept.registered_at:
        kept.registered_at = earliest
        kept.save(update_fields=["registered_at"])
    reason = f"Duplicate of {kept_person} on {kept.reference_code}" + (f": {note}" if note else "")
    if folded.pk == kept.pk or folded.household_size > 1:
        # Others share the folded registration (or it is the same one): only the duplicate leaves it.
        other.registration, other.is_primary_contact = None, False
        other.save(update_fields=["registration", "is_primary_contact"])
        folded.household_size -= 1
        folded.save(update_fields=["household_size"])
        before["mode"] = "person_left"
    else:
        set_status(folded, Registration.Status.WITHDRAWN, by=actor.authenticated_user, reason=reason[:300],
                   actor=actor)
        before["mode"] = "withdrawn"
    pair.status, pair.kept, pair.folded, pair.before = DuplicatePair.Status.MERGED, kept, folded, before
    pair.resolved_at, pair.resolved_by, pair.note = timezone.now(), actor.authenticated_user, note
    pair.save()
    audit.record(action="update", obj=kept, actor=actor, reason=note,
                 summary=f"Duplicate merged in: {folded.reference_code} ({before['mode'].replace('_', ' ')})",
                 changes={"registered_at": [before["kept_registered_at"], kept.registered_at.isoformat()]})
    audit.record(action="update", obj=pair, actor=actor, reason=note, summary="Duplicate pair merged",
                 changes={"status": ["open", "merged"]})
    return pair


@transaction.atomic
def mark_distinct(pair: DuplicatePair, *, note: str = "", actor) -> DuplicatePair:
    pair = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
    if pair.status != DuplicatePair.Status.OPEN:
        raise DuplicateError("This pair has already been decided.")
    pair.status, pair.resolved_at, pair.resolved_by = DuplicatePair.Status.DISTINCT, timezone.now(), \
        actor.authenticated_user
    pair.note = (note or "").strip()[:300]
    pair.save()
    audit.record(action="update", obj=pair, actor=actor, reason=pair.note, summary="Duplicate pair: not the same person",
                 changes={"status": ["open", "distinct"]})
    return pair


@transaction.atomic
def undo_merge(pair: DuplicatePair, *, note: str = "", actor) -> DuplicatePair:
    """Restore both registrations as they were before the merge and open the pair again."""
    pair = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
    if pair.status != DuplicatePair.Status.MERGED:
        raise DuplicateError("Only a merged pair can be undone.")
    b = pair.before
    regs = {r.pk: r for r in Registration.objects.select_for_update()
            .filter(pk__in={pair.kept_id, pair.folded_id}).order_by("pk")}
    kept, folded = regs[pair.kept_id], regs[pair.folded_id]
    other = Patient.objects.select_for_update().get(pk=b["other_person"])
    note = (note or "").strip()[:300]
    old = kept.registered_at
    kept.registered_at = datetime.datetime.fromisoformat(b["kept_registered_at"])
    kept.save(update_fields=["registered_at"])
    if b["mode"] == "person_left":
        other.registration_id, other.is_primary_contact = b["other_registration"], b["other_primary"]
        other.save(update_fields=["registration", "is_primary_contact"])
        folded.refresh_from_db()
        folded.household_size = b["folded_household_size"]
        folded.save(update_fields=["household_size"])
    elif folded.status == Registration.Status.WITHDRAWN:
        set_status(folded, Registration.Status.WAITING, by=actor.authenticated_user, actor=actor,
                   reason=("Duplicate merge undone" + (f": {note}" if note else ""))[:300])
    else:
        raise DuplicateError(f"Registration {folded.reference_code} is {folded.get_status_display().lower()} now; "
                             "it cannot be put back.")
    pair.status, pair.resolved_at, pair.resolved_by = DuplicatePair.Status.OPEN, None, None
    pair.kept = pair.folded = None
    pair.before, pair.note = {}, ""
    pair.save()
    audit.record(action="update", obj=kept, actor=actor, reason=note, summary="Duplicate merge undone",
                 changes={"registered_at": [old.isoformat(), kept.registered_at.isoformat()]})
    audit.record(action="update", obj=pair, actor=actor, reason=note, summary="Duplicate merge undone; pair open again",
                 changes={"status": ["merged", "open"]})
    return pair
