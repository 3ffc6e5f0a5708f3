"""A local waitlist import's life: checked whole and kept with its report, then imported or cancelled.

Nothing is written to the registry until a coordinator reads the report and asks for the
import, which runs in Celery (`tasks.import_local_waitlist` over `run_import`): the rows are
linked against the registry (linkage.engine), and every decision is applied in one
transaction, set-based (`linkage.apply`). The same rows twice take effect once: each row
is known by its content (row_hash) in its division, and a row already imported by an
earlier file is skipped (a database constraint holds it).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from collections import defaultdict
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from attachment.core import audit, unavailable
from attachment.core.audit import Actor
from attachment.core.bulk import copy_insert, draw_ids
from attachment.core.errors import DomainError
from attachment.core.jobs import Stopwatch
from attachment.core.progress import CachedProgress
from linkage import apply, localfile, registry_frame
from linkage.models import ImportRow, WaitlistImport
from registries.models import Community, Division

log = logging.getLogger("attach.linkage")

REPORT_MAX_PROBLEMS = 20_000
IMPORT_LOCK = 1414  # the advisory lock namespace of local waitlist imports (issue 14)
Outcome = ImportRow.Outcome


class LocalImportError(DomainError):
    """A local waitlist import that cannot go on, in words a coordinator can act on."""


# --- progress (the cache, so the page reads it while the import's transaction is open) ---

_progress = CachedProgress("waitlist-import")
progress_key, set_progress, get_progress = _progress.key, _progress.set, _progress.get


# --- storage and the check ------------------------------------------------------------------

def store_file(data: bytes, file_name: str) -> tuple[str, str]:
    digest = hashlib.sha256(data).hexdigest()
    ext = "xlsx" if data.startswith(localfile.XLSX_MAGIC) or file_name.lower().endswith(".xlsx") else "csv"
    path = f"waitlist_imports/{digest[:2]}/{digest}.{ext}"
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(data))
    return digest, path


def read_file(upload: WaitlistImport) -> bytes:
    with default_storage.open(upload.stored_path, "rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != upload.content_hash:
        raise LocalImportError("The stored file no longer matches what was checked; upload it again.")
    return data


def communities() -> dict[str, localfile.Community]:
    return {
        name.lower(): localfile.Community(pk, name, division_id, division)
        for pk, name, division_id, division in Community.objects.values_list("pk", "name", "division_id",
                                                                            "division__name")
    }


def check_file(division: Division, data: bytes, *, file_name: str = "", today: datetime.date | None = None):
    """Check a local waitlist file for `division`. Writes nothing. Returns (result, report)."""
    today = today or timezone.localdate()
    result = localfile.check(data, communities=communities(), division_id=division.pk, today=today,
                             file_name=file_name)
    report = result.report(max_errors=REPORT_MAX_PROBLEMS)
    report["checked_on"] = today.isoformat()
    report["households"] = len({r.household for r in result.rows if r.household})
    report["already_imported"] = len(_earlier_rows(division.pk, [r.row_hash for r in result.rows]))
    return result, report


def create_import(division: Division, *, data: bytes, file_name: str, actor: Actor, checked=None) -> WaitlistImport:
    """Check a file and keep it with its report, awaiting the decision to import or cancel."""
    result, report = checked or check_file(division, data, file_name=file_name)
    digest, path = store_file(data, file_name)
    with transaction.atomic():
        previous = (WaitlistImport.objects.filter(division=division, content_hash=digest,
                                                  status=WaitlistImport.Status.IMPORTED)
                    .order_by("-finished_at").first())
        if previous:
            report["previously_imported_at"] = previous.finished_at.isoformat() if previous.finished_at else ""
        upload = WaitlistImport.objects.create(
            division=division, uploaded_by=actor.authenticated_user, file_name=(file_name or "waitlist.csv")[:255],
            content_hash=digest, stored_path=path, rows_read=result.rows_read, rows_valid=result.rows_valid,
            report=report,
        )
        audit.record(action="create", obj=upload, actor=actor,
                     summary=f"Local waitlist checked for {division}: {result.rows_read} rows read, "
                             f"{result.rows_valid} good")
    return upload


def checked_rows(upload: WaitlistImport) -> localfile.CheckResult:
    """The stored file checked again as of its report's day: exactly the rows the report promised."""
    today = datetime.date.fromisoformat(upload.report["checked_on"])
    result = localfile.check(read_file(upload), communities=communities(), division_id=upload.division_id,
                             today=today, file_name=upload.file_name)
    if result.rows_valid != upload.rows_valid:
        raise LocalImportError(f"The file now checks to {result.rows_valid} good rows, not the {upload.rows_valid} "
                           "reported; upload it again.")
    return result


# --- decide: import or cancel ---------------------------------------------------------------

@transaction.atomic
def request_import(upload: WaitlistImport, *, actor: Actor) -> WaitlistImport:
    upload = WaitlistImport.objects.select_for_update().get(pk=upload.pk)
    if upload.status != WaitlistImport.Status.CHECKED:
        raise LocalImportError(f"This import is {upload.get_status_display().lower()}; it cannot be started now.")
    if upload.rows_valid == 0:
        raise LocalImportError("The file has no good rows to import.")
    upload.status = WaitlistImport.Status.IMPORTING
    upload.import_requested_at = timezone.now()
    upload.import_requested_by = actor.authenticated_user
    upload.save(update_fields=["status", "import_requested_at", "import_requested_by"])
    set_progress(upload.pk, 0, "Waiting for a worker")
    audit.record(action="status", obj=upload, actor=actor, summary="Local waitlist import requested (good rows)")

    from linkage.tasks import import_local_waitlist

    unavailable.enqueue_on_commit(import_local_waitlist, upload.pk, on_failure=lambda: mark_failed(
        upload.pk, "Not started: the background service was unavailable. Upload the file again when it is back."))
    return upload


@transaction.atomic
def cancel_import(upload: WaitlistImport, *, actor: Actor) -> WaitlistImport:
    upload = WaitlistImport.objects.select_for_update().get(pk=upload.pk)
    if upload.status != WaitlistImport.Status.CHECKED:
        raise LocalImportError(f"This import is {upload.get_status_display().lower()}; it cannot be cancelled.")
    upload.status = WaitlistImport.Status.CANCELLED
    upload.finished_at = timezone.now()
    upload.save(update_fields=["status", "finished_at"])
    audit.record(action="status", obj=upload, actor=actor, summary="Local waitlist import cancelled; nothing written")
    return upload


def mark_failed(upload_id: int, error: str) -> None:
    """Outside the failed import's transaction, so the failure itself is kept."""
    if WaitlistImport.objects.filter(pk=upload_id, status=WaitlistImport.Status.IMPORTING).update(
        status=WaitlistImport.Status.FAILED, error=error[:4000], finished_at=timezone.now()
    ):
        set_progress(upload_id, 100, "Failed: nothing was imported")


IMPORT_GIVEN_UP = ("The background worker stopped while importing, and the import could not be restarted; "
                   "nothing was imported. Please check the file again and import it.")


def import_interrupted(sender, *, job, restarted: bool, **kwargs) -> None:
    """The reaper found an import whose worker died (jobs.job_interrupted): its transaction never
    committed, so nothing of it is in the registry. Restarted: the page says so; given up: failed."""
    if job.task != "linkage.tasks.import_local_waitlist" or not job.task_args:
        return
    upload_id = job.task_args[0]
    if restarted:
        if WaitlistImport.objects.filter(pk=upload_id, status=WaitlistImport.Status.IMPORTING).exists():
            set_progress(upload_id, 0, "Restarted; waiting for a worker")
    else:
        mark_failed(upload_id, IMPORT_GIVEN_UP)


# --- the import ---------------------------------------------------------------------------

def run_import(upload_id: int, *, progress=None, settings=None) -> WaitlistImport:
    """Link the upload's good rows and apply every decision, all in one transaction.

    The service the Celery task and the command call. An upload not `importing` (already
    imported, cancelled) is returned as it is: a second delivery changes nothing. The
    seconds of each step are kept in the figures (`timings`), for the admin and the benchmark.
    """
    from linkage import engine

    progress = progress or (lambda percent, phase: set_progress(upload_id, percent, phase))
    started = time.perf_counter()
    timings: dict[str, float] = {}
    clock = Stopwatch(timings)
    with transaction.atomic():
        upload = WaitlistImport.objects.select_for_update().select_related("division").get(pk=upload_id)
        if upload.status != WaitlistImport.Status.IMPORTING:
            return upload
        # One import at a time per division: a second one (the same file sent twice at once)
        # waits here, then finds the first one's rows and skips them. An advisory lock, not a
        # row lock on the division, which every new registration of it references.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK, upload.division_id])
        clock.lap("wait for the division")
        actor = Actor.task("linkage.import_local_waitlist", user=upload.import_requested_by)
        progress(5, "Reading the checked file")
        result = checked_rows(upload)
        defaults = _row_defaults()
        rows = [_row(upload, r, defaults) for r in result.rows]
        clock.lap("read the checked file")
        earlier = _earlier_rows(upload.division_id, [r.row_hash for r in rows])
        fresh = [r for r in rows if r.row_hash not in earlier]
        for r in rows:
            if r.row_hash in earlier:
                r.outcome, r.same_as_id = Outcome.SKIPPED, earlier[r.row_hash]
        clock.lap("rows imported before")
        progress(15, "Reading the registry")
        decisions, figures = {}, {}
        if fresh:
            registry = registry_frame.registry_frame()
            local = localfile.CheckResult(rows=[x for x in result.rows if x.row_hash not in earlier]).frame()
            clock.lap("read the registry")
            progress(25, f"Linking {len(fresh):,} rows with {registry.height:,} people")
            linked = engine.link(registry, local, settings=settings)
            decisions, figures = linked.by_list_id(), dict(linked.figures)
            clock.lap("link")
        progress(70, "Writing the decisions")
        counts = _apply(upload, fresh, decisions, actor, clock)
        progress(95, "Writing the report")
        _write_rows(rows, decisions)
        clock.lap("write the rows")
        upload.status = WaitlistImport.Status.IMPORTED
        upload.finished_at = timezone.now()
        upload.figures = {
            "rows": len(rows), "skipped": len(rows) - len(fresh),
            **{k: sum(1 for d in decisions.values() if d.decision == k) for k in ("merge", "review", "new",
                                                                                   "duplicate")},
            **counts, "engine": figures, "seconds": round(time.perf_counter() - started, 2),
            "timings": {k: round(v, 2) for k, v in timings.items()},
        }
        upload.save(update_fields=["status", "finished_at", "figures"])
        audit.record(action="status", obj=upload, actor=actor,
                     summary=f"Local waitlist imported into {upload.division}: {upload.figures['merged']} merged, "
                             f"{upload.figures['registered']} registered, {upload.figures['pending']} to review, "
                             f"{upload.figures['duplicate']} duplicates, {upload.figures['skipped']} already imported",
                     changes={"figures": {k: v for k, v in upload.figures.items() if k not in ("engine", "timings")}})
    progress(100, "Done")
    return upload


def _row_defaults() -> dict:
    """Each ImportRow column's default (immutable ones; the JSON ones are made per row)."""
    given = {"upload_id", "division_id", "line", "list_id", "household", "last_name", "first_name", "date_of_birth",
             "phn", "gender", "postal_code", "phone", "email", "community_id", "listed_on", "priority_factors",
             "row_hash", "evidence", "candidates", "before"}
    return {f.attname: f.get_default() for f in ImportRow._meta.concrete_fields
            if not f.primary_key and f.attname not in given}


def _row(upload: WaitlistImport, r: localfile.Row, defaults: dict) -> SimpleNamespace:
    """A row as it will be written: the ImportRow's columns on a plain object (a model instance
    per row costs more than the whole COPY; `bulk.copy_insert` reads the attributes alone)."""
    return SimpleNamespace(**{
        **defaults, "id": None}, upload_id=upload.pk, division_id=upload.division_id, line=r.line, list_id=r.list_id,
        household=r.household, last_name=r.last_name, first_name=r.first_name, date_of_birth=r.date_of_birth,
        phn=r.phn, gender=r.gender, postal_code=r.postal_code, phone=r.phone, email=r.email,
        community_id=r.community_id, listed_on=r.listed_on, priority_factors=r.priority_factors,
        row_hash=r.row_hash, evidence=[], candidates=[], before={},
    )


def _earlier_rows(division_id: int, hashes: list[str]) -> dict[str, int]:
    """Rows of these contents an earlier import of the division already took (their ids).

    One array parameter, not tens of thousands of placeholders; skipped rows are not
    themselves takers.
    """
    if not hashes:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (row_hash) row_hash, id FROM linkage_importrow"
            " WHERE division_id = %s AND row_hash = ANY(%s::text[]) AND outcome <> 'skipped'"
            " ORDER BY row_hash, id",
            [division_id, hashes],
        )
        return dict(cursor.fetchall())


def _roots(rows, decisions) -> dict[str, str]:
    """Each duplicate's first row (following same_as to a row that is not a duplicate)."""
    by_id = {r.list_id: r for r in rows}
    root = {}
    for r in rows:
        seen, current = set(), r.list_id
        while (d := decisions.get(current)) is not None and d.decision == "duplicate" and d.same_as in by_id \
                and current not in seen:
            seen.add(current)
            current = d.same_as
        root[r.list_id] = current
    return root


def _apply(upload, rows, decisions, actor, clock) -> dict:
    """Give each fresh row its outcome, changing the registry as its decision says."""
    why = f"local waitlist {upload.file_name}, import {upload.pk}"
    now = timezone.now()
    user = actor.authenticated_user
    root = _roots(rows, decisions)
    earliest: dict[str, datetime.date] = {}
    for r in rows:  # a root's date is the earliest of its own and its duplicates'
        key = root[r.list_id]
        earliest[key] = min(earliest.get(key, r.listed_on), r.listed_on)
    for r in rows:
        d = decisions.get(r.list_id)
        if d is None:
            raise LocalImportError(f"The linkage gave no decision for line {r.line} ({r.list_id}).")
        r.decision, r.score, r.evidence = d.decision, d.score, list(d.evidence or [])
        r.candidates = [{"person": int(c.person), "score": c.score, "evidence": list(c.evidence)}
                        for c in (d.candidates or [])]
        if d.decision == "merge" and not r.candidates:
            r.candidates = [{"person": int(d.person), "score": d.score, "evidence": list(d.evidence or [])}]

    merges = [r for r in rows if r.decision == "merge"]
    clock.lap("decisions onto the rows")
    facts = registry_frame.facts(int(decisions[r.list_id].person) for r in merges)
    clock.lap("where the merged people stand")
    dates: dict[int, datetime.date] = {}
    for r in merges:
        f = facts.get(int(decisions[r.list_id].person))
        r.person_id = f.patient_id if f else None
        if f and f.registration_open:
            dates[f.registration_id] = min(dates.get(f.registration_id, earliest[r.list_id]), earliest[r.list_id])
    before = apply.keep_earliest(dates, actor=actor, why=why)
    clock.lap("keep the earliest dates")
    for r in merges:
        f = facts.get(r.person_id)
        if f and f.registration_id in before:
            r.outcome, r.registration_id, r.before = Outcome.MERGED, f.registration_id, before[f.registration_id]
        elif f and f.on_panel:
            r.outcome, r.before = Outcome.ATTACHED, {}
        else:  # the person left the waitlist and has no panel since the registry was read
            r.outcome, r.person_id = Outcome.PENDING, None
        if r.outcome != Outcome.PENDING:
            r.applied_at, r.applied_by = now, user

    new = [r for r in rows if r.decision == "new"]
    households: dict[str, list] = defaultdict(list)
    for r in new:
        households[f"h:{r.household}" if r.household else f"r:{r.list_id}"].append(r)
    groups = [(members, min(earliest[m.list_id] for m in members)) for members in households.values()]
    registered_groups = apply.register_groups(groups, actor=actor, reason=f"Merged from {why}")
    clock.lap("register the new households")
    for registered, (members, _) in zip(registered_groups, groups):
        for member, person in zip(members, registered.people):
            member.outcome, member.registration_id, member.person_id = (
                Outcome.REGISTERED, registered.registration.pk, person.pk)
            member.before, member.applied_at, member.applied_by = {"created": True}, now, user

    applied = {r.list_id: r for r in rows}
    for r in rows:
        if r.decision == "review":
            r.outcome = Outcome.PENDING
        elif r.decision == "duplicate":
            first = applied.get(root[r.list_id])
            r.outcome, r.applied_at, r.applied_by = Outcome.DUPLICATE, now, user
            if first is not None and first.outcome in (Outcome.MERGED, Outcome.ATTACHED, Outcome.REGISTERED):
                r.person_id, r.registration_id = first.person_id, first.registration_id
    return {
        "merged": sum(r.outcome == Outcome.MERGED for r in rows),
        "attached": sum(r.outcome == Outcome.ATTACHED for r in rows),
        "registered": sum(r.outcome == Outcome.REGISTERED for r in rows),
        "pending": sum(r.outcome == Outcome.PENDING for r in rows),
        "duplicate": sum(r.outcome == Outcome.DUPLICATE for r in rows),
        "dates_moved_earlier": sum(1 for b in before.values() if b["moved"]),
        "registrations_created": len(groups),
        # New rows whose PHN the registry knows with other details: held for an identity review.
        "identity_holds": sum(g.held for g in registered_groups),
    }


def _write_rows(rows, decisions) -> None:
    """Write the rows (COPY), each duplicate pointing at the row it repeats: the ids are drawn
    before the write, so the pointers go in with the rows, not in a second pass."""
    if not rows:
        return
    by_list_id = {r.list_id: r for r in rows}
    ordered = [r for r in rows if r.decision != "duplicate"] + [r for r in rows if r.decision == "duplicate"]
    for r, pk in zip(ordered, draw_ids(ImportRow, len(ordered))):
        r.pk = r.id = pk
    for r in rows:
        d = decisions.get(r.list_id)
        if d is not None and d.decision == "duplicate" and d.same_as in by_list_id:
            r.same_as_id = by_list_id[d.same_as].pk
    copy_insert(ImportRow, ordered, ids_drawn=True)
