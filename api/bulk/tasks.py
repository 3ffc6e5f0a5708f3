"""Bulk export background work: thin wrappers over api.bulk.services."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from api.bulk import services
from attachment.core.jobs import tracked


@shared_task(name="api.bulk_export", bind=True, acks_late=True, autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=True, max_retries=3)
def run_bulk_export(self, export_id: str) -> dict:
    """Write an export's files. Idempotent: a finished export is left alone (a re-delivery),
    one cut short by a dead worker is written again (the reaper sends this task again)."""
    with tracked("bulk_export", task=self.name, args=[export_id]) as job:
        figures = {}
        export = services.run_export(export_id, figures=figures)
        if export is not None:
            job.summary = f"Export {export.pk}: {export.status}, " + ", ".join(
                f"{o['count']} {o['type']}" for o in export.output)
            job.figures = {"seconds": figures, "output": export.output}
    return {"export": export_id, "status": export.status if export else None}


@shared_task(name="api.bulk_expire", acks_late=True)
def expire_bulk_exports() -> int:
    with tracked("bulk_expire") as job:
        expired = services.expire_exports()
        job.summary = f"{expired} exports expired; their files deleted"
    return expired
