"""A bulk export's life: asked (queued), written by the worker (NDJSON per type), fetched, expired."""

from __future__ import annotations

import datetime
import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from api.bulk import ndjson
from api.models import BulkExport
from attachment.core import audit, unavailable
from attachment.core.errors import DomainError

log = logging.getLogger("attach.bulk")


class ExportError(DomainError):
    """An export that cannot be asked for as given (the parameter it names)."""


def directory(export: BulkExport) -> Path:
    return Path(settings.MEDIA_ROOT) / "bulk" / str(export.pk)


def file_path(export: BulkExport, resource_type: str) -> Path:
    return directory(export) / f"{resource_type}.ndjson"


def parse_types(value: str | None) -> list[str]:
    if not value:
        return list(ndjson.TYPES)
    wanted = [t.strip() for t in value.split(",") if t.strip()]
    unknown = [t for t in wanted if t not in ndjson.TYPES]
    if unknown or not wanted:
        raise ExportError({"_type": f"Attach exports {', '.join(ndjson.TYPES)}; not {', '.join(unknown) or 'nothing'}."})
    return list(dict.fromkeys(wanted))


def parse_since(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    from django.utils.dateparse import parse_datetime

    try:
        since = parse_datetime(value.replace(" ", "+"))  # a '+' offset arrives as a space when not %-encoded
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        raise ExportError({"_since": "Give an instant with its time zone, e.g. 2026-01-31T00:00:00Z."})
    return since


@transaction.atomic
def request_export(*, user, provider_ids, types, since, request_url: str, group=None, actor=None) -> BulkExport:
    """Record the export and queue it for the worker (after commit)."""
    from api.bulk import tasks

    export = BulkExport.objects.create(
        requested_by=user, client_name=(actor.via if actor is not None else "")[:100], group=group,
        provider_ids=sorted(int(i) for i in provider_ids), types=types, since=since, request_url=request_url[:2000],
        progress="Queued",
    )
    audit.record(action="export", obj=export, actor=actor,
                 summary=f"Bulk export asked: {', '.join(types)} of {len(export.provider_ids)} panels"
                 + (f" since {since.isoformat()}" if since else ""),
                 changes={"providers": export.provider_ids[:1000], "types": types})
    unavailable.enqueue_on_commit(tasks.run_bulk_export, str(export.pk), on_failure=lambda: not_started(export.pk))
    return export


def not_started(export_id) -> None:
    BulkExport.objects.filter(pk=export_id, status=BulkExport.Status.QUEUED).update(
        status=BulkExport.Status.FAILED, finished_at=timezone.now(), progress="Not started",
        error="Not started: the background service was unavailable. Ask for the export again when it is back.",
        expires_at=timezone.now() + datetime.timedelta(hours=settings.ATTACH_BULK_EXPORT_HOURS),
    )


def run_export(export_id, *, figures: dict | None = None) -> BulkExport:
    """Write every asked type's NDJSON file. Idempotent: a finished export is left as it is;
    one whose worker died is written again from the start (its partial files replaced)."""
    export = BulkExport.objects.filter(pk=export_id).first()
    if export is None or export.status not in (BulkExport.Status.QUEUED, BulkExport.Status.RUNNING):
        return export
    started = timezone.now()
    BulkExport.objects.filter(pk=export.pk).update(status=BulkExport.Status.RUNNING, transaction_time=started,
                                                   progress="Starting", output=[])
    folder = directory(export)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    output = []
    try:
        with connection.cursor() as cursor:
            for n, resource_type in enumerate(export.types, start=1):
                _progress(export, f"Writing {resource_type} ({n} of {len(export.types)})", output)
                t0 = timezone.now()
                part = folder / f".{resource_type}.ndjson.part"
                count = ndjson.write_ndjson(cursor.cursor, resource_type, part, provider_ids=export.provider_ids,
                                            since=export.since)
                part.replace(file_path(export, resource_type))
                if figures is not None:
                    figures[resource_type] = (timezone.now() - t0).total_seconds()
                if count:
                    output.append({"type": resource_type, "file": f"{resource_type}.ndjson", "count": count})
                else:
                    file_path(export, resource_type).unlink()
    except (OperationalError, InterfaceError):
        # Transient: the task is retried and writes the whole export again.
        BulkExport.objects.filter(pk=export.pk).update(status=BulkExport.Status.QUEUED, progress="Retrying")
        raise
    except Exception as exc:
        shutil.rmtree(folder, ignore_errors=True)
        _finish(export, BulkExport.Status.FAILED, [], error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    return _finish(export, BulkExport.Status.COMPLETED, output)


def _progress(export, text, output):
    BulkExport.objects.filter(pk=export.pk, status=BulkExport.Status.RUNNING).update(progress=text, output=output)


def _finish(export, status, output, *, error=""):
    now = timezone.now()
    written = sum(o["count"] for o in output)
    BulkExport.objects.filter(pk=export.pk, status=BulkExport.Status.RUNNING).update(
        status=status, output=output, error=error, finished_at=now,
        progress="Done" if status == BulkExport.Status.COMPLETED else "Failed",
        expires_at=now + datetime.timedelta(hours=settings.ATTACH_BULK_EXPORT_HOURS),
    )
    log.info("bulk export %s %s: %s resources", export.pk, status, written)
    return BulkExport.objects.get(pk=export.pk)


@transaction.atomic
def cancel_export(export: BulkExport, *, actor=None) -> BulkExport:
    """The requester no longer wants it (DELETE on the status URL): its files go now."""
    export = BulkExport.objects.select_for_update().get(pk=export.pk)
    if export.status in (BulkExport.Status.EXPIRED, BulkExport.Status.CANCELLED):
        raise ExportError("This export has already been deleted.")
    export.status = BulkExport.Status.CANCELLED
    export.progress = "Cancelled"
    export.save(update_fields=["status", "progress"])
    audit.record(action="update", obj=export, actor=actor, summary="Bulk export cancelled; its files deleted")
    transaction.on_commit(lambda: shutil.rmtree(directory(export), ignore_errors=True))
    return export


def expire_exports(now=None) -> int:
    """Delete the files of exports past their expiry (the beat job); returns how many."""
    now = now or timezone.now()
    expired = 0
    for export in BulkExport.objects.filter(status__in=[BulkExport.Status.COMPLETED, BulkExport.Status.FAILED],
                                            expires_at__lte=now):
        shutil.rmtree(directory(export), ignore_errors=True)
        expired += BulkExport.objects.filter(pk=export.pk, status=export.status).update(
            status=BulkExport.Status.EXPIRED, progress="Expired")
    # A cancelled export whose worker was still writing: sweep what it left.
    for export in BulkExport.objects.filter(status=BulkExport.Status.CANCELLED, created_at__lte=now
                                            - datetime.timedelta(hours=1)).only("pk"):
        shutil.rmtree(directory(export), ignore_errors=True)
    return expired
