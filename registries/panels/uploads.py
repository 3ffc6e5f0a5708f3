"""A panel upload's life: the file checked whole and kept with its report, then loaded or cancelled.

Nothing is written to the panel until a person reads the report and asks for the load,
which runs in Celery (`tasks.load_panel_upload` over `load.load_upload`); the progress
the page polls is kept in the cache, readable while the load's transaction is open.
"""

from __future__ import annotations

import datetime
import hashlib
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from attachment.core import audit, unavailable
from attachment.core.jobs import Stopwatch
from attachment.core.progress import CachedProgress
from providers.models import Provider
from registries.models import PanelUpload
from registries.panels import PanelError
from registries.panels import file as panel_file

log = logging.getLogger("attach.panels")

# The stored report keeps this many bad rows; the page and the command show them all up to it.
REPORT_MAX_ERRORS = 20_000
REPORT_MAX_CONFLICTS = 2_000

# --- progress (the cache, so the page can read it while the load transaction is open) ---

_progress = CachedProgress("panel-upload")
progress_key, set_progress, get_progress = _progress.key, _progress.set, _progress.get


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

def byte_blocks(data: bytes, chunk_size: int):
    total = max(len(data), 1)
    for start in range(0, len(data), chunk_size):
        yield min(start + chunk_size, len(data)) / total, data[start : start + chunk_size]


def panel_comparison(provider_id: int, rows: bytes) -> dict:
    """How the valid rows stand against the registry, in what the uploader may learn.

    `rows` is line, PHN, names and date of birth of each valid row as CSV
    (CheckResult.identity_csv). A row needs a coordinator's review when its PHN is on another
    provider's panel or is known with another name or date of birth (load.MISMATCH_SQL, the
    one rule); the report says only that, with the file's own line and PHN: never who the
    registry has under that number, on whose panel, or whether they are on the waitlist.
    Only the people the registry already knows come out of the one join.
    """
    if not rows:
        return {"conflict_count": 0, "conflicts": [], "already_on_panel": 0}
    from registries.panels.load import MISMATCH_SQL

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("DROP TABLE IF EXISTS pg_temp.panel_phns")
        cursor.execute(
            "CREATE TEMP TABLE panel_phns (line integer, phn varchar(10), last_name text, first_name text,"
            " date_of_birth date) ON COMMIT DROP"
        )
        with cursor.copy("COPY panel_phns (line, phn, last_name, first_name, date_of_birth) FROM STDIN (FORMAT csv)") as copy:
            for _, block in byte_blocks(rows, 1 << 20):
                copy.write(block)
        cursor.execute("ANALYZE panel_phns")
        cursor.execute(
            f"""
            CREATE TEMP TABLE panel_known ON COMMIT DROP AS
            SELECT s.line, s.phn, e.provider_id,
                   ({MISMATCH_SQL} OR coalesce(e.provider_id <> %s, false)) AS review
              FROM panel_phns s
              JOIN patients_patient p ON p.phn = s.phn
              LEFT JOIN registries_panelentry e ON e.patient_id = p.id AND e.ended_at IS NULL
            """,
            [provider_id],
        )
        cursor.execute(
            "SELECT line, phn FROM panel_known WHERE review ORDER BY line LIMIT %s", [REPORT_MAX_CONFLICTS],
        )
        conflicts = [{"line": line, "phn": phn} for line, phn in cursor.fetchall()]
        cursor.execute(
            "SELECT count(*) FILTER (WHERE review), count(*) FILTER (WHERE NOT review AND provider_id = %s)"
            "  FROM panel_known",
            [provider_id],
        )
        conflict_count, already = cursor.fetchone()
        cursor.execute("DROP TABLE panel_phns, panel_known")
    return {"conflict_count": conflict_count, "conflicts": conflicts, "already_on_panel": already}


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
    report.update(panel_comparison(provider.pk, result.identity_csv()))
    clock.lap("compare with the registry")
    return result, report


def create_upload(
    provider: Provider, *, data: bytes, file_name: str, by=None, actor=None, checked=None,
    timings: dict | None = None,
) -> PanelUpload:
    """Check a file and keep it with its report, awaiting the decision to load or cancel.

    `checked` is the (result, report) of an earlier `check_file` of the same bytes.
    """
    result, report = checked or check_file(provider, data, timings=timings)
    clock = Stopwatch(timings)
    # The file first (content-addressed: a copy left by a failed transaction is the same
    # bytes the next upload would store), then the upload, its report and its audit event
    # together or not at all.
    digest, path = store_file(data)
    with transaction.atomic():
        return _keep_upload(provider, result, report, digest=digest, path=path, file_name=file_name,
                            by=by, actor=actor, clock=clock)


def _keep_upload(provider, result, report, *, digest, path, file_name, by, actor, clock) -> PanelUpload:
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
        user=by, action="create", obj=upload, actor=actor,
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
def request_load(upload: PanelUpload, *, by=None, actor=None) -> PanelUpload:
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
    audit.record(user=by, action="status", obj=upload, actor=actor, summary="Panel load requested (valid rows)")

    from registries.panels.tasks import load_panel_upload

    unavailable.enqueue_on_commit(load_panel_upload, upload.pk, on_failure=lambda: load_not_started(upload.pk))
    return upload


def load_not_started(upload_id: int) -> None:
    """The load could not be queued: fail the upload with the reason, nothing was written."""
    mark_failed(upload_id, "Not started: the background service was unavailable. Upload the file again when it is back.")


@transaction.atomic
def cancel_upload(upload: PanelUpload, *, by=None, actor=None) -> PanelUpload:
    upload = PanelUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.status != PanelUpload.Status.CHECKED:
        raise PanelError(f"This upload is {upload.get_status_display().lower()}; it cannot be cancelled.")
    upload.status = PanelUpload.Status.CANCELLED
    upload.finished_at = timezone.now()
    upload.save(update_fields=["status", "finished_at"])
    audit.record(user=by, action="status", obj=upload, actor=actor, summary="Panel upload cancelled; nothing loaded")
    return upload


def mark_failed(upload_id: int, error: str) -> None:
    """Outside the failed load's transaction, so the failure itself is kept."""
    if PanelUpload.objects.filter(pk=upload_id, status=PanelUpload.Status.LOADING).update(
        status=PanelUpload.Status.FAILED, error=error[:4000], finished_at=timezone.now()
    ):
        set_progress(upload_id, 100, "Failed: nothing was loaded")


LOAD_GIVEN_UP = ("The background worker stopped while loading, and the load could not be restarted; "
                 "nothing was loaded. Please try again: upload the file again.")


def load_interrupted(sender, *, job, restarted: bool, **kwargs) -> None:
    """The reaper found a panel load whose worker died (job_interrupted): tell the upload page.

    The dead load's transaction never committed, so nothing of it is in the registry.
    """
    from registries.panels.tasks import load_panel_upload

    if job.task != load_panel_upload.name or not job.task_args:
        return
    upload_id = job.task_args[0]
    if restarted:
        if PanelUpload.objects.filter(pk=upload_id, status=PanelUpload.Status.LOADING).exists():
            set_progress(upload_id, 0, "Restarted; waiting for a worker")
    else:
        mark_failed(upload_id, LOAD_GIVEN_UP)


def load_restarted(upload: PanelUpload) -> bool:
    """Whether a worker died during this upload's load (and the load was sent again)."""
    from attachment.core.jobs import was_interrupted
    from registries.panels.tasks import load_panel_upload

    return (upload.status in (PanelUpload.Status.LOADING, PanelUpload.Status.LOADED)
            and was_interrupted(load_panel_upload.name, [upload.pk]))
