"""Panel Registry background work: thin wrappers over the panel services (uploads, load)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

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
    """Load an upload's valid rows. Idempotent: a loaded upload is left as it is."""
    try:
        upload = load.load_upload(upload_id)
    except (OperationalError, InterfaceError):
        raise  # transient: the transaction rolled back; Celery retries
    except Exception as exc:
        log.exception("panel upload %s failed", upload_id)
        uploads.mark_failed(upload_id, f"{type(exc).__name__}: {exc}")
        raise
    return {"upload": upload.pk, "status": upload.status, "rows_loaded": upload.rows_loaded}
