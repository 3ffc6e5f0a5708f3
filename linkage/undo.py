"""Undo what a local list's row did, from its provenance, and put the row back in the review queue.

- A merge into a waiting registration: its registered_at goes back to what it was before the
  row, unless other rows merged into it since still stand (then to the earliest of those: an
  undo takes back this row's date, nobody else's).
- A row already on a panel (attached) changed nothing: the row alone goes back to review.
- A registration the import made from the row (with the rest of its household from the same
  file, and any duplicate rows of them): withdrawn with the reason, as the waitlist's rules
  close a registration (never deleted: its history stays). Only while it is still waiting.
Each undo is one transaction, audited with the before and after.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from attachment.core import audit
from attachment.core.errors import DomainError
from linkage.apply import local_midnight
from linkage.models import ImportRow
from patients.models import Registration
from patients.services import set_status

Outcome = ImportRow.Outcome
UNDOABLE = (Outcome.MERGED, Outcome.ATTACHED, Outcome.DUPLICATE, Outcome.REGISTERED)


class UndoError(DomainError):
    pass


@transaction.atomic
def undo_row(row: ImportRow, *, note: str = "", actor) -> list[ImportRow]:
    """Undo `row` (and, for a registration it made, the household's rows). Returns the rows undone."""
    row = ImportRow.objects.select_for_update().select_related("upload").get(pk=row.pk)
    if row.outcome not in UNDOABLE:
        raise UndoError("Only a merged, attached, registered or duplicate row can be undone.")
    note = (note or "").strip()[:300]
    if row.outcome == Outcome.REGISTERED and row.before.get("created"):
        rows = _undo_registration(row, note, actor)
    else:
        if row.registration_id and "registered_at" in row.before:
            _restore_date(row, actor)
        rows = [row]
    now, user = timezone.now(), actor.authenticated_user
    for r in rows:
        previous = {"outcome": r.outcome, "person": r.person_id, "registration": r.registration_id}
        r.outcome, r.person, r.registration, r.before = Outcome.PENDING, None, None, {}
        r.applied_at = r.applied_by = r.reviewed_at = r.reviewed_by = None
        r.review_choice, r.review_note, r.same_as = "", "", None
        r.undone_at, r.undone_by, r.undo_note = now, user, note
        r.save()
        audit.record(action="update", obj=r, actor=actor, reason=note,
                     summary=f"Undone: line {r.line} of {row.upload.file_name} is back in the review queue",
                     changes={"outcome": [previous["outcome"], Outcome.PENDING],
                              "person": [previous["person"], None], "registration": [previous["registration"], None]})
    return rows


def _restore_date(row: ImportRow, actor) -> None:
    registration = Registration.objects.select_for_update().get(pk=row.registration_id)
    restored = datetime.datetime.fromisoformat(row.before["registered_at"])
    # Rows merged into the same registration at the same time as this one or later still stand.
    standing = (ImportRow.objects.filter(registration_id=registration.pk,
                                         outcome__in=[Outcome.MERGED, Outcome.DUPLICATE],
                                         applied_at__gte=row.applied_at)
                .exclude(pk=row.pk).values_list("listed_on", flat=True))
    for day in standing:
        restored = min(restored, local_midnight(day))
    if restored != registration.registered_at:
        old = registration.registered_at
        registration.registered_at = restored
        registration.save(update_fields=["registered_at"])
        audit.record(action="update", obj=registration, actor=actor,
                     summary=f"Local list merge undone (line {row.line} of {row.upload.file_name}): waiting date restored",
                     changes={"registered_at": [old.isoformat(), restored.isoformat()]})


def _undo_registration(row: ImportRow, note: str, actor) -> list[ImportRow]:
    registration = Registration.objects.select_for_update().get(pk=row.registration_id)
    if registration.status != Registration.Status.WAITING:
        raise UndoError(f"Registration {registration.reference_code} is {registration.get_status_display().lower()} "
                        "now; only a registration still waiting can be undone.")
    rows = list(ImportRow.objects.select_for_update().select_related("upload")
                .filter(registration=registration, outcome__in=UNDOABLE).order_by("line"))
    reason = f"Local list import undone (line {row.line} of {row.upload.file_name})" + (f": {note}" if note else "")
    set_status(registration, Registration.Status.WITHDRAWN, by=actor.authenticated_user, reason=reason[:300],
               actor=actor)
    return rows
