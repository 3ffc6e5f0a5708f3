"""The review queue: rows the linkage could not decide, decided by a coordinator of their division.

A coordinator sees the row beside each candidate the linkage found, with the evidence for
and against, and chooses: the same person as candidate X (merge), nobody the registry has
(new person), or the same person as another row of the file (duplicate). Each choice is one
transaction, audited, and leaves the provenance an undo reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from attachment.core import audit
from attachment.core.errors import DomainError
from linkage import apply, registry_frame
from linkage.models import ImportRow
from patients.models import Patient

Outcome = ImportRow.Outcome
CHOICES = [("merge", "The same person as this candidate"), ("new", "A new person: register them"),
           ("duplicate", "The same person as another row of this file")]
# Words in the linkage's evidence that speak against a pair (the engine writes "differs",
# "does not match", "missing on one side", ...); the rest speaks for it.
AGAINST = ("differ", "does not", "not match", "mismatch", "missing", "conflict", "other ", "twin", "namesake")


class ReviewError(DomainError):
    pass


def split_evidence(evidence) -> tuple[list[str], list[str]]:
    """(for, against) the pair being one person."""
    against = [e for e in evidence if any(w in e.lower() for w in AGAINST)]
    return [e for e in evidence if e not in against], against


def queue(divisions):
    """Rows waiting for a coordinator of `divisions`, oldest import first."""
    return (ImportRow.objects.filter(division__in=divisions, outcome=Outcome.PENDING)
            .select_related("upload", "community").order_by("upload_id", "line"))


@dataclass
class CandidateView:
    person: Patient
    score: float
    evidence_for: list[str]
    evidence_against: list[str]
    waiting: bool
    on_panel: bool
    # A candidate waiting in a division the coordinator does not coordinate: shown by name,
    # birth date and community only (the evidence says what else agrees), never their contact.
    in_scope: bool = True


def candidates(row: ImportRow, divisions=None) -> list[CandidateView]:
    """The row's candidates as the registry has them now (two queries, whatever their number);
    `divisions`: the reviewer's, to hide the contact details of people outside them."""
    ids = [c["person"] for c in row.candidates]
    people = Patient.objects.filter(pk__in=ids).select_related("registration", "registration__community")
    people = {p.pk: p for p in people}
    facts = registry_frame.facts(ids)
    out = []
    for c in row.candidates:
        person = people.get(c["person"])
        if person is None:
            continue
        pro, con = split_evidence(c.get("evidence", []))
        f = facts.get(person.pk)
        in_scope = divisions is None or (f is not None and f.division_id in divisions)
        out.append(CandidateView(person, c.get("score") or 0.0, pro, con,
                                 bool(f and f.registration_open), bool(f and f.on_panel), in_scope))
    return out


def merge_into(row: ImportRow, person_id: int, *, actor, why: str) -> None:
    """Make `row` the registry's person `person_id`: their waiting registration keeps the earlier
    date, or, on a panel, the row is reported as attached. Sets the row's outcome and provenance."""
    f = registry_frame.facts([person_id]).get(person_id)
    if f is None:
        raise ReviewError("That person is no longer in the registry.")
    before = apply.keep_earliest({f.registration_id: row.listed_on}, actor=actor, why=why) \
        if f.registration_open else {}
    if f.registration_id in before:
        row.outcome, row.registration_id, row.before = Outcome.MERGED, f.registration_id, before[f.registration_id]
    elif f.on_panel:
        row.outcome, row.registration_id, row.before = Outcome.ATTACHED, None, {}
    else:
        raise ReviewError("That person is neither waiting nor on a panel now; choose another answer.")
    row.person_id = person_id
    row.applied_at, row.applied_by = timezone.now(), actor.authenticated_user


@transaction.atomic
def decide(row: ImportRow, *, choice: str, person_id: int | None = None, same_as_id: int | None = None,
           note: str = "", actor) -> ImportRow:
    row = ImportRow.objects.select_for_update().select_related("upload").get(pk=row.pk)
    if row.outcome != Outcome.PENDING:
        raise ReviewError("This row has already been decided.")
    why = f"review of line {row.line} of {row.upload.file_name}"
    if choice == "merge":
        allowed = {c["person"] for c in row.candidates}
        if person_id not in allowed:
            raise ReviewError({"person": "Choose one of the candidates shown."})
        merge_into(row, person_id, actor=actor, why=why)
        summary = f"Review: line {row.line} is person {person_id}"
    elif choice == "new":
        registered = apply.register_groups([([row], row.listed_on)], actor=actor, reason=f"Registered on {why}")[0]
        row.outcome, row.registration, row.person_id = Outcome.REGISTERED, registered.registration, \
            registered.people[0].pk
        row.before, row.applied_at, row.applied_by = {"created": True}, timezone.now(), actor.authenticated_user
        summary = f"Review: line {row.line} is a new person ({registered.registration.reference_code})"
    elif choice == "duplicate":
        first = (ImportRow.objects.filter(upload=row.upload, pk=same_as_id).exclude(pk=row.pk)
                 .filter(outcome__in=[Outcome.MERGED, Outcome.ATTACHED, Outcome.REGISTERED]).first())
        if first is None:
            raise ReviewError({"same_as": "Choose a row of this file that has been merged or registered."})
        merge_into(row, first.person_id, actor=actor, why=why)
        row.outcome, row.same_as = Outcome.DUPLICATE, first
        summary = f"Review: line {row.line} repeats line {first.line}"
    else:
        raise ReviewError({"choice": "Choose what this row is."})
    row.reviewed_at, row.reviewed_by = timezone.now(), actor.authenticated_user
    row.review_choice, row.review_note = choice, (note or "").strip()[:300]
    row.save()
    audit.record(action="update", obj=row, actor=actor, summary=summary, reason=row.review_note,
                 changes={"outcome": [Outcome.PENDING, row.outcome], "person": [None, row.person_id]})
    return row


def outcomes(upload) -> dict:
    """The coordinators' review outcomes of an import, for its report (one aggregate)."""
    return ImportRow.objects.filter(upload=upload).aggregate(
        reviewed=Count("pk", filter=~Q(review_choice="")),
        reviewed_merge=Count("pk", filter=Q(review_choice="merge")),
        reviewed_new=Count("pk", filter=Q(review_choice="new")),
        reviewed_duplicate=Count("pk", filter=Q(review_choice="duplicate")),
        pending=Count("pk", filter=Q(outcome=Outcome.PENDING)),
        undone=Count("pk", filter=Q(undone_at__isnull=False)),
    )
