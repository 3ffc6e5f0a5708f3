"""Panel Registry background work: thin wrappers over the panel services (uploads, load)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from attachment.core.jobs import tracked
from registries.models import PanelUpload
from registries.panels import load, uploads

log = logging.getLogger("attach.panels")


@shared_task(
    name="registries.tasks.load_panel_upload",
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def load_panel_upload(self, upload_id: int) -> dict:
    """Load an upload's valid rows. Idempotent: a loaded upload is left as it is.

    Tracked as a "panel_load" job run; if the worker dies mid-load, the reaper sends
    this task again (the killed load's transaction never committed).
    """
    upload = PanelUpload.objects.filter(pk=upload_id).first()
    if upload is not None and upload.status in (PanelUpload.Status.LOADED, PanelUpload.Status.FAILED):
        # A second delivery (the dead worker's message, back after the visibility timeout).
        return {"upload": upload.pk, "status": upload.status, "rows_loaded": upload.rows_loaded}
    with tracked("panel_load", task=self.name, args=[upload_id]) as job:
        try:
            upload = load.load_upload(upload_id)
        except (OperationalError, InterfaceError):
            raise  # transient: the transaction rolled back; Celery retries
        except Exception as exc:
            log.exception("panel upload %s failed", upload_id)
            uploads.mark_failed(upload_id, f"{type(exc).__name__}: {exc}")
            raise
        job.summary = f"Upload {upload.pk} of provider {upload.provider_id}: {upload.rows_loaded} entries added"
        job.figures = {"upload": upload.pk, "rows_loaded": upload.rows_loaded, **upload.report.get("load", {})}
    return {"upload": upload.pk, "status": upload.status, "rows_loaded": upload.rows_loaded}
