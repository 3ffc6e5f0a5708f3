"""Panel Registry writes: uploads (check, load, cancel), one patient added or removed, conflicts and flags resolved.

The bulk load is one transaction of set-based SQL: the valid rows are streamed with
COPY into a temporary table, then patients, panel entries, conflicts and waitlist flags
are written with INSERT ... SELECT (anti-joins for what is new). A worker that dies
mid-load leaves nothing behind (the transaction never commits; the broker re-delivers the
task); a second load of the same rows finds everything already there and changes nothing.

Where a million-row load spends its time, and why each statement is shaped as it is, is
measured by tests/bench/bench_panel_upload.py (per step, beside a bare COPY of the file).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from attachment import audit, unavailable
from patients.models import Patient, Registration
from providers.models import Provider
from registries import panel_file
from registries.models import PanelConflict, PanelEntry, PanelUpload, WaitlistFlag
from registries.phn import normalize_phn, phn_error

log = logging.getLogger("attach.panels")

COPY_CHUNK = 50_000
# The stored report keeps this many bad rows; the page and the command show them all up to it.
REPORT_MAX_ERRORS = 20_000
REPORT_MAX_CONFLICTS = 2_000


class PanelError(ValidationError):
    """A panel change that cannot be made, with a reason a person can act on."""


class Stopwatch:
    """Seconds per step, added into `into` (a dict) when one is given."""

    def __init__(self, into: dict | None):
        self.into = into
        self.started = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.into is not None:
            self.into[name] = self.into.get(name, 0.0) + now - self.started
        self.started = now


# --- progress (the cache, so the page can read it while the load transaction is open) ---

def progress_key(upload_id: int) -> str:
    return f"panel-upload:{upload_id}:progress"


def set_progress(upload_id: int, percent: int, phase: str) -> None:
    cache.set(progress_key(upload_id), {"percent": int(percent), "phase": phase}, timeout=6 * 3600)


def get_progress(upload_id: int) -> dict:
    return cache.get(progress_key(upload_id)) or {"percent": 0, "phase": "Waiting for a worker"}


# --- storage -------------------------------------------------------------------

def store_file(data: bytes) -> tuple[str, str]:
    """Keep the file once per content; the load reads exactly the bytes that were checked."""
    digest = hashlib.sha256(data).hexdigest()
    path = f"panel_uploads/{digest[:2]}/{digest}.csv"
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(data))
    return digest, path


def read_file(upload: PanelUpload) -> bytes:
    with default_storage.open(upload.stored_path, "rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != upload.content_hash:
        raise PanelError("The stored panel file no longer matches what was checked.")
    return data


# --- check -------------------------------------------------------------------

def _stage(cursor, blocks, *, progress=None, phase_span=(0, 50)) -> None:
    """COPY the valid rows (CSV blocks) into a temporary table dropped at commit (or rollback).

    Each row draws a patient id from the patients' own sequence as it is copied: a person new
    to the registry is inserted with it, and their panel entry refers to it, with no second
    look-up. RESOLVE_SQL puts the registry's id in place for people it already knows (the
    numbers drawn for them are left unused). `blocks` yields (fraction done, text or bytes);
    progress is reported between blocks.
    """
    # ON COMMIT DROP alone is not enough when the caller's transaction is still open (nested atomic).
    cursor.execute("DROP TABLE IF EXISTS pg_temp.panel_stage")
    cursor.execute("SELECT pg_get_serial_sequence('patients_patient', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute(
        "CREATE TEMP TABLE panel_stage (line integer, phn varchar(10), last_name text, first_name text,"
        " date_of_birth date, gender varchar(1), postal_code varchar(7), last_visit date,"
        " patient_id bigint NOT NULL DEFAULT nextval(%s::regclass), known boolean NOT NULL DEFAULT false,"
        " registration_id bigint) ON COMMIT DROP",
        [sequence],
    )
    low, high = phase_span
    with cursor.copy(
        "COPY panel_stage (line, phn, last_name, first_name, date_of_birth, gender, postal_code, last_visit)"
        " FROM STDIN (FORMAT csv)"
    ) as copy:
        for fraction, block in blocks:
            copy.write(block)
            if progress:
                progress(int(low + (high - low) * fraction), f"Staging rows ({fraction:.0%})")


def byte_blocks(data: bytes, chunk_size: int):
    total = max(len(data), 1)
    for start in range(0, len(data), chunk_size):
        yield min(start + chunk_size, len(data)) / total, data[start : start + chunk_size]


def panel_comparison(provider_id: int, phns: bytes) -> dict:
    """How the valid rows stand against the registry: conflicts, already on this panel, on the waitlist.

    `phns` is the line and PHN of each valid row as CSV (CheckResult.phn_csv). Only the people
    the registry already knows come out of the one join; the figures are read from them.
    """
    if not phns:
        return {"conflict_count": 0, "conflicts": [], "already_on_panel": 0, "on_waitlist": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("DROP TABLE IF EXISTS pg_temp.panel_phns")
        cursor.execute("CREATE TEMP TABLE panel_phns (line integer, phn varchar(10)) ON COMMIT DROP")
        with cursor.copy("COPY panel_phns (line, phn) FROM STDIN (FORMAT csv)") as copy:
            for _, block in byte_blocks(phns, 1 << 20):
                copy.write(block)
        cursor.execute("ANALYZE panel_phns")
        cursor.execute(
            """
            CREATE TEMP TABLE panel_known ON COMMIT DROP AS
            SELECT s.line, s.phn, e.provider_id,
                   (r.id IS NOT NULL AND r.status IN ('waiting', 'offered')) AS waiting
              FROM panel_phns s
              JOIN patients_patient p ON p.phn = s.phn
              LEFT JOIN registries_panelentry e ON e.patient_id = p.id AND e.ended_at IS NULL
              LEFT JOIN patients_registration r ON r.id = p.registration_id
            """
        )
        cursor.execute(
            "SELECT line, phn FROM panel_known WHERE provider_id <> %s ORDER BY line LIMIT %s",
            [provider_id, REPORT_MAX_CONFLICTS],
        )
        conflicts = [{"line": line, "phn": phn} for line, phn in cursor.fetchall()]
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE provider_id <> %s), count(*) FILTER (WHERE provider_id = %s),
                   count(*) FILTER (WHERE waiting)
              FROM panel_known
            """,
            [provider_id, provider_id],
        )
        conflict_count, already, on_waitlist = cursor.fetchone()
        cursor.execute("DROP TABLE panel_phns, panel_known")
    return {"conflict_count": conflict_count, "conflicts": conflicts, "already_on_panel": already, "on_waitlist": on_waitlist}


def check_file(
    provider: Provider, data: bytes, *, today: datetime.date | None = None, timings: dict | None = None,
) -> tuple[panel_file.CheckResult, dict]:
    """Validate a panel file and compare it with the registry. Writes nothing.

    The report keeps the day of the check: the load checks the same bytes again as of that
    day, so it loads exactly the rows the report promised (a date in the future today is
    not a good row tomorrow).
    """
    clock = Stopwatch(timings)
    today = today or timezone.localdate()
    result = panel_file.check(data, today=today)
    report = result.report(max_errors=REPORT_MAX_ERRORS)
    report["checked_on"] = today.isoformat()
    clock.lap("parse and validate")
    report.update(panel_comparison(provider.pk, result.phn_csv()))
    clock.lap("compare with the registry")
    return result, report


def create_upload(
    provider: Provider, *, data: bytes, file_name: str, by=None, request=None, checked=None,
    timings: dict | None = None,
) -> PanelUpload:
    """Check a file and keep it with its report, awaiting the decision to load or cancel.

    `checked` is the (result, report) of an earlier `check_file` of the same bytes.
    """
    result, report = checked or check_file(provider, data, timings=timings)
    clock = Stopwatch(timings)
    digest, path = store_file(data)
    previous = (
        PanelUpload.objects.filter(provider=provider, content_hash=digest, status=PanelUpload.Status.LOADED)
        .order_by("-finished_at")
        .first()
    )
    if previous:
        report["previously_loaded_at"] = previous.finished_at.isoformat() if previous.finished_at else ""
    upload = PanelUpload.objects.create(
        provider=provider,
        uploaded_by=by if getattr(by, "is_authenticated", False) else None,
        file_name=(file_name or "panel.csv")[:255],
        content_hash=digest,
        stored_path=path,
        status=PanelUpload.Status.CHECKED,
        rows_read=result.rows_read,
        rows_valid=result.rows_valid,
        report=report,
    )
    audit.record(
        user=by, action="create", obj=upload, request=request,
        summary=f"Panel file checked for {provider}: {result.rows_read} rows read, {result.rows_valid} valid",
    )
    clock.lap("store file and report")
    return upload


def checked_rows(upload: PanelUpload) -> panel_file.CheckResult:
    """The upload's file checked again as of the day of its report: the rows the report promised."""
    checked_on = upload.report.get("checked_on")
    today = datetime.date.fromisoformat(checked_on) if checked_on else timezone.localdate(upload.created_at)
    result = panel_file.check(read_file(upload), today=today)
    if result.rows_valid != upload.rows_valid:
        raise PanelError(
            f"The file now checks to {result.rows_valid} valid rows, not the {upload.rows_valid} reported; upload it again."
        )
    return result


# --- decide: load or cancel ---------------------------------------------------------

@transaction.atomic
def request_load(upload: PanelUpload, *, by=None, request=None) -> PanelUpload:
    """Mark the upload for loading and queue the Celery load once this transaction commits."""
    upload = PanelUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.status != PanelUpload.Status.CHECKED:
        raise PanelError(f"This upload is {upload.get_status_display().lower()}; it cannot be loaded now.")
    if upload.rows_valid == 0:
        raise PanelError("The file has no valid rows to load.")
    upload.status = PanelUpload.Status.LOADING
    upload.load_requested_at = timezone.now()
    upload.load_requested_by = by if getattr(by, "is_authenticated", False) else None
    upload.save(update_fields=["status", "load_requested_at", "load_requested_by"])
    set_progress(upload.pk, 0, "Waiting for a worker")
    audit.record(user=by, action="status", obj=upload, request=request, summary="Panel load requested (valid rows)")

    from registries.tasks import load_panel_upload

    unavailable.enqueue_on_commit(load_panel_upload, upload.pk, on_failure=lambda: load_not_started(upload.pk))
    return upload


def load_not_started(upload_id: int) -> None:
    """The load could not be queued: fail the upload with the reason, nothing was written."""
    PanelUpload.objects.filter(pk=upload_id, status=PanelUpload.Status.LOADING).update(
        status=PanelUpload.Status.FAILED, finished_at=timezone.now(),
        error="Not started: the background service was unavailable. Upload the file again when it is back.",
    )


@transaction.atomic
def cancel_upload(upload: PanelUpload, *, by=None, request=None) -> PanelUpload:
    upload = PanelUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.status != PanelUpload.Status.CHECKED:
        raise PanelError(f"This upload is {upload.get_status_display().lower()}; it cannot be cancelled.")
    upload.status = PanelUpload.Status.CANCELLED
    upload.finished_at = timezone.now()
    upload.save(update_fields=["status", "finished_at"])
    audit.record(user=by, action="status", obj=upload, request=request, summary="Panel upload cancelled; nothing loaded")
    return upload


def mark_failed(upload_id: int, error: str) -> None:
    """Outside the failed load's transaction, so the failure itself is kept."""
    PanelUpload.objects.filter(pk=upload_id, status=PanelUpload.Status.LOADING).update(
        status=PanelUpload.Status.FAILED, error=error[:4000], finished_at=timezone.now()
    )
    set_progress(upload_id, 100, "Failed: nothing was loaded")


# --- load ----------------------------------------------------------------------

# Each statement is one set-based pass over panel_stage; they run in this order inside the
# load's transaction. Existing people keep the details the registry already has; the file only
# adds new ones. A person someone else adds or attaches while the load runs is a unique
# violation: load_upload then runs the whole load again, and finds them.
#
# The people of the file the registry already knows (their staged patient id becomes theirs).
RESOLVE_SQL = """
    UPDATE panel_stage s SET patient_id = p.id, known = true, registration_id = p.registration_id
      FROM patients_patient p
     WHERE p.phn = s.phn
"""
# The new people, with the ids they drew, in PHN order (index locality). A plain INSERT, not
# ON CONFLICT, whose speculative insertion costs a second index probe per row.
PATIENTS_SQL = """
    INSERT INTO patients_patient (id, phn, first_name, last_name, date_of_birth, gender, postal_code,
                                  is_primary_contact, created_at)
    SELECT s.patient_id, s.phn, s.first_name, s.last_name, s.date_of_birth, coalesce(s.gender, ''),
           coalesce(s.postal_code, ''), false, %(now)s
      FROM panel_stage s
     WHERE NOT s.known
     ORDER BY s.phn
"""
LAST_VISITS_SQL = """
    UPDATE registries_panelentry e SET last_visit = s.last_visit
      FROM panel_stage s
     WHERE s.known AND e.patient_id = s.patient_id AND e.provider_id = %(provider)s AND e.ended_at IS NULL
       AND s.last_visit IS NOT NULL AND (e.last_visit IS NULL OR e.last_visit < s.last_visit)
"""
CONFLICTS_SQL = """
    INSERT INTO registries_panelconflict (patient_id, existing_entry_id, claiming_provider_id, upload_id,
                                          claimed_last_visit, created_at, resolution, resolution_note)
    SELECT s.patient_id, e.id, %(provider)s, %(upload)s, s.last_visit, %(now)s, '', ''
      FROM panel_stage s
      JOIN registries_panelentry e ON e.patient_id = s.patient_id AND e.ended_at IS NULL
     WHERE s.known AND e.provider_id <> %(provider)s
    ON CONFLICT (patient_id, claiming_provider_id) WHERE resolved_at IS NULL DO NOTHING
"""
# In patient order (index locality). People this load added have no entry yet: only people the
# registry knew are looked up. A plain INSERT (see PATIENTS_SQL).
ENTRIES_SQL = """
    INSERT INTO registries_panelentry (patient_id, provider_id, since, source, last_visit, created_at,
                                       created_by_id, end_reason)
    SELECT s.patient_id, %(provider)s, %(today)s, 'upload', s.last_visit, %(now)s, %(user)s, ''
      FROM panel_stage s
     WHERE NOT s.known
        OR NOT EXISTS (SELECT 1 FROM registries_panelentry e WHERE e.patient_id = s.patient_id AND e.ended_at IS NULL)
     ORDER BY s.patient_id
"""
# The same, when the per-row foreign key checks are off (_key_checks_by_load): people who
# were already in the registry get an entry only once their row is locked FOR KEY SHARE, as the
# check would lock it, so no one can delete them before the entries commit. The people this
# load added are invisible to everyone else until then.
ENTRIES_LOCKED_SQL = """
    WITH locked AS (
        SELECT p.id FROM patients_patient p JOIN panel_stage s ON s.patient_id = p.id
         WHERE s.known AND NOT EXISTS (SELECT 1 FROM registries_panelentry e
                                        WHERE e.patient_id = p.id AND e.ended_at IS NULL)
           FOR KEY SHARE OF p
    )
    INSERT INTO registries_panelentry (patient_id, provider_id, since, source, last_visit, created_at,
                                       created_by_id, end_reason)
    SELECT s.patient_id, %(provider)s, %(today)s, 'upload', s.last_visit, %(now)s, %(user)s, ''
      FROM panel_stage s
     WHERE NOT s.known
        OR (s.patient_id IN (SELECT id FROM locked)
            AND NOT EXISTS (SELECT 1 FROM registries_panelentry e WHERE e.patient_id = s.patient_id AND e.ended_at IS NULL))
     ORDER BY s.patient_id
"""
FLAGS_SQL = """
    INSERT INTO registries_waitlistflag (patient_id, registration_id, division_id, provider_id, upload_id,
                                         created_at, resolution_note)
    SELECT s.patient_id, r.id, r.division_id, %(provider)s, %(upload)s, %(now)s, ''
      FROM panel_stage s JOIN patients_registration r ON r.id = s.registration_id
     WHERE s.known AND r.status IN ('waiting', 'offered')
    ON CONFLICT (patient_id, provider_id) WHERE resolved_at IS NULL DO NOTHING
"""
# Per table, the foreign keys whose per-row checks the load makes redundant: a panel entry's
# (see ENTRIES_LOCKED_SQL and the provider and user locks in load_upload) and a new patient's
# registration (always NULL for the people a panel file adds).
KEY_CHECKS_DONE_BY_LOAD = {
    "registries_panelentry": {"patient_id", "provider_id", "created_by_id"},
    "patients_patient": {"registration_id"},
}


def _key_checks_by_load(cursor, table: str) -> bool:
    """Whether rows may be inserted into `table` with the per-row foreign key triggers off.

    A foreign key is checked by one trigger call per inserted row at commit: for a
    million-row panel, millions of index probes and tuple locks, once half the load. The
    load makes those checks redundant (KEY_CHECKS_DONE_BY_LOAD): every patient id comes from
    patients_patient in this transaction (new rows are invisible to everyone else; known ones
    are locked FOR KEY SHARE in one statement), the provider and the user rows are locked
    once, and new patients have no registration. `session_replication_role = replica`
    turns off exactly the triggers not marked ENABLE ALWAYS (CHECK and UNIQUE still apply),
    so it is used only when the role may set it (a superuser, or a role granted
    `SET ON PARAMETER session_replication_role`, PostgreSQL 15+) and the table has no such
    trigger other than the checks of those keys; otherwise the ordinary triggers run.
    """
    cursor.execute(
        """
        SELECT has_parameter_privilege('session_replication_role', 'SET'),
               (SELECT count(*) FROM pg_trigger t
                 WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal AND t.tgenabled <> 'A'),
               (SELECT coalesce(array_agg(a.attname::text), '{}')
                  FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                 WHERE c.conrelid = %s::regclass AND c.contype = 'f')
        """,
        [table, table],
    )
    may_set, other_triggers, fk_columns = cursor.fetchone()
    return bool(may_set) and other_triggers == 0 and set(fk_columns) <= KEY_CHECKS_DONE_BY_LOAD[table]


def load_upload(upload_id: int, *, progress=None, chunk_size: int = COPY_CHUNK, timings: dict | None = None,
                attempts: int = 3) -> PanelUpload:
    """Load the valid rows of a checked upload. The service the Celery task (and the command) call.

    `progress(percent, phase)` is called between chunks and phases; by default it
    writes the cache the page polls. An exception anywhere rolls everything back.
    `timings`, when given, receives the seconds each step took (the benchmark prints them).
    A person added or attached by someone else while the load ran is a unique violation:
    the load is rolled back and run again, and then finds them.
    """
    for attempt in range(1, attempts + 1):
        try:
            return _load_upload(upload_id, progress=progress, chunk_size=chunk_size, timings=timings)
        except IntegrityError as exc:
            unique_violation = getattr(exc.__cause__, "sqlstate", None) == "23505"
            if attempt == attempts or not unique_violation or connection.in_atomic_block:
                raise
            log.warning("panel upload %s: a patient was added meanwhile; loading again", upload_id)
    raise AssertionError("unreachable")


def _load_upload(upload_id: int, *, progress, chunk_size: int, timings: dict | None) -> PanelUpload:
    report_progress = progress or (lambda percent, phase: set_progress(upload_id, percent, phase))
    clock = Stopwatch(timings)
    with transaction.atomic():
        upload = PanelUpload.objects.select_for_update().select_related("provider").get(pk=upload_id)
        if upload.status == PanelUpload.Status.LOADED:
            return upload  # a re-delivered task: the work is done
        if upload.status != PanelUpload.Status.LOADING:
            raise PanelError(f"Upload {upload_id} is {upload.status}, not waiting to load.")
        report_progress(1, "Reading the file")
        # About `chunk_size` rows per block (a row is some 60 bytes).
        blocks = byte_blocks(checked_rows(upload).copy_csv(), chunk_size * 64)
        now = timezone.now()
        user_id = upload.load_requested_by_id or upload.uploaded_by_id
        params = {"provider": upload.provider_id, "upload": upload.pk, "user": user_id, "now": now,
                  "today": timezone.localdate(now)}
        figures = {}
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            clock.lap("read")
            _stage(cursor, blocks, progress=report_progress, phase_span=(2, 40))
            clock.lap("stage")
            report_progress(41, "Finding the people the registry knows")
            cursor.execute(RESOLVE_SQL)
            cursor.execute("ANALYZE panel_stage")
            clock.lap("resolve")
            report_progress(42, "Adding new patients")
            patients_by_load = _key_checks_by_load(cursor, "patients_patient")
            if patients_by_load:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(PATIENTS_SQL, params)
            figures["patients"] = cursor.rowcount
            if patients_by_load:
                cursor.execute("SET LOCAL session_replication_role = origin")
            clock.lap("patients")
            report_progress(70, "Updating last visits")
            cursor.execute(LAST_VISITS_SQL, params)
            figures["last_visits"] = cursor.rowcount
            report_progress(72, "Recording conflicts with other panels")
            cursor.execute(CONFLICTS_SQL, params)
            figures["conflicts"] = cursor.rowcount
            clock.lap("conflicts")
            report_progress(75, "Adding panel entries")
            by_locks = _key_checks_by_load(cursor, "registries_panelentry")
            if by_locks and user_id:
                cursor.execute("SELECT 1 FROM auth_user WHERE id = %s FOR KEY SHARE", [user_id])
            if by_locks:
                cursor.execute("SELECT 1 FROM providers_provider WHERE id = %s FOR KEY SHARE", [upload.provider_id])
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(ENTRIES_LOCKED_SQL if by_locks else ENTRIES_SQL, params)
            figures["entries"] = cursor.rowcount
            if by_locks:
                cursor.execute("SET LOCAL session_replication_role = origin")
            clock.lap("entries")
            report_progress(95, "Flagging patients on the waitlist")
            cursor.execute(FLAGS_SQL, params)
            figures["flags"] = cursor.rowcount
            cursor.execute("DROP TABLE panel_stage")
            clock.lap("flags")
        report = dict(upload.report)
        report["load"] = {
            "new_patients": figures["patients"],
            "entries_added": figures["entries"],
            "last_visits_updated": figures["last_visits"],
            "new_conflicts": figures["conflicts"],
            "waitlist_flags": figures["flags"],
        }
        upload.report = report
        upload.rows_loaded = figures["entries"]
        upload.status = PanelUpload.Status.LOADED
        upload.finished_at = timezone.now()
        upload.save(update_fields=["report", "rows_loaded", "status", "finished_at"])
        audit.record(
            user=upload.load_requested_by or upload.uploaded_by, action="update", obj=upload,
            summary=(
                f"Panel of {upload.provider} loaded: {figures['entries']} entries added, "
                f"{figures['patients']} new patients, {figures['conflicts']} conflicts, {figures['flags']} waitlist flags"
            ),
        )
        transaction.on_commit(lambda: set_progress(upload_id, 100, "Loaded"))
    clock.lap("commit")
    return upload


# --- one patient at a time (fee code 98990) and removal ---------------------------------

@dataclass
class AddResult:
    entry: PanelEntry | None = None
    conflict: PanelConflict | None = None
    flagged: bool = False


@transaction.atomic
def add_patient(
    provider: Provider,
    *,
    phn: str,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date,
    gender: str = "",
    postal_code: str = "",
    by=None,
    request=None,
) -> AddResult:
    """Add one patient to a panel as the 98990 attachment code does.

    A patient already on another panel is not moved: the claim goes to the coordinators.
    """
    phn = normalize_phn(phn)
    reason = phn_error(phn)
    if reason:
        raise PanelError({"phn": reason})
    patient, created = Patient.objects.get_or_create(
        phn=phn,
        defaults={
            "first_name": first_name, "last_name": last_name, "date_of_birth": date_of_birth,
            "gender": gender, "postal_code": postal_code,
        },
    )
    # Serialises two people adding the same person at once.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not created and patient.date_of_birth != date_of_birth:
        raise PanelError({"date_of_birth": "The date of birth does not match the registry's record for this PHN."})
    result = AddResult()
    current = PanelEntry.objects.filter(patient=patient, ended_at__isnull=True).first()
    if current and current.provider_id == provider.pk:
        raise PanelError({"phn": "This patient is already on this panel."})
    if current:
        result.conflict, _ = PanelConflict.objects.get_or_create(
            patient=patient, claiming_provider=provider, resolved_at__isnull=True,
            defaults={"existing_entry": current},
        )
        audit.record(user=by, action="create", obj=result.conflict, request=request,
                     summary=f"Claim by {provider} sent to coordinators: patient is on another panel")
    else:
        result.entry = PanelEntry.objects.create(
            patient=patient, provider=provider, since=timezone.localdate(),
            source=PanelEntry.Source.FEE_CODE, created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        audit.record(user=by, action="create", obj=result.entry, request=request,
                     summary=f"Added to the panel of {provider} (98990)")
    registration = patient.registration
    if registration and registration.status in Registration.OPEN_STATUSES:
        _, result.flagged = WaitlistFlag.objects.get_or_create(
            patient=patient, provider=provider, resolved_at__isnull=True,
            defaults={"registration": registration, "division_id": registration.division_id},
        )
    return result


@transaction.atomic
def remove_patient(entry: PanelEntry, *, reason: str, by=None, request=None) -> PanelEntry:
    """End a panel entry; it is kept, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise PanelError({"reason": "Say why the patient leaves the panel."})
    entry = PanelEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.ended_at is not None:
        raise PanelError("This patient has already left the panel.")
    entry.ended_at = timezone.now()
    entry.end_reason = reason[:200]
    entry.save(update_fields=["ended_at", "end_reason"])
    audit.record(user=by, action="update", obj=entry, request=request, reason=reason,
                 summary=f"Removed from the panel of {entry.provider}")
    return entry


# --- coordinators: conflicts and waitlist flags -----------------------------------------

@transaction.atomic
def resolve_conflict(conflict: PanelConflict, *, resolution: str, note: str = "", by=None, request=None) -> PanelConflict:
    conflict = PanelConflict.objects.select_for_update().select_related("claiming_provider").get(pk=conflict.pk)
    if conflict.resolved_at:
        raise PanelError("This conflict has already been resolved.")
    if resolution not in PanelConflict.Resolution.values:
        raise PanelError({"resolution": "Choose how to resolve the conflict."})
    if resolution == PanelConflict.Resolution.MOVED:
        existing = PanelEntry.objects.select_for_update().get(pk=conflict.existing_entry_id)
        if existing.ended_at is None:
            existing.ended_at = timezone.now()
            existing.end_reason = f"Moved to {conflict.claiming_provider} (panel conflict resolved)"[:200]
            existing.save(update_fields=["ended_at", "end_reason"])
        elif PanelEntry.objects.filter(patient_id=conflict.patient_id, ended_at__isnull=True).exists():
            raise PanelError("The patient is on another panel now; this conflict is out of date.")
        PanelEntry.objects.create(
            patient_id=conflict.patient_id, provider=conflict.claiming_provider, since=timezone.localdate(),
            source=PanelEntry.Source.UPLOAD if conflict.upload_id else PanelEntry.Source.FEE_CODE,
            last_visit=conflict.claimed_last_visit, created_by=by,
        )
    conflict.resolution = resolution
    conflict.resolution_note = (note or "")[:300]
    conflict.resolved_at = timezone.now()
    conflict.resolved_by = by
    conflict.save(update_fields=["resolution", "resolution_note", "resolved_at", "resolved_by"])
    audit.record(user=by, action="update", obj=conflict, request=request, reason=note,
                 summary=f"Panel conflict resolved: {conflict.get_resolution_display()}")
    return conflict


@transaction.atomic
def resolve_flag(flag: WaitlistFlag, *, note: str = "", by=None, request=None) -> WaitlistFlag:
    flag = WaitlistFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.resolved_at:
        raise PanelError("This flag has already been reviewed.")
    flag.resolved_at = timezone.now()
    flag.resolved_by = by
    flag.resolution_note = (note or "")[:300]
    flag.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    audit.record(user=by, action="update", obj=flag, request=request, reason=note,
                 summary="Waitlist flag from a panel upload reviewed")
    return flag
