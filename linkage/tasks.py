"""Background work of local waitlist imports and registry duplicates: thin wrappers over the services."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from attachment.core.jobs import job_interrupted, tracked
from linkage import duplicates, imports
from linkage.models import WaitlistImport

log = logging.getLogger("attach.linkage")

# Connected where the reaper runs (a worker loads every tasks module): an import whose
# worker died is restarted or, given up, failed with the reason for its page.
job_interrupted.connect(imports.import_interrupted, dispatch_uid="linkage.import_interrupted")


@shared_task(
    name="linkage.tasks.import_local_waitlist",
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def import_local_waitlist(self, upload_id: int) -> dict:
    """Link and apply a checked local waitlist. Idempotent: an upload no longer importing is
    left as it is (a second delivery after the first committed finds it imported)."""
    upload = WaitlistImport.objects.filter(pk=upload_id).first()
    if upload is None or upload.status != WaitlistImport.Status.IMPORTING:
        return {"upload": upload_id, "status": upload.status if upload else "missing"}
    with tracked("linkage.import_local_waitlist", task=self.name, args=[upload_id]) as job:
        try:
            upload = imports.run_import(upload_id)
        except (OperationalError, InterfaceError):
            raise  # transient: the transaction rolled back; Celery retries
        except Exception as exc:
            log.exception("local waitlist import %s failed", upload_id)
            imports.mark_failed(upload_id, f"{type(exc).__name__}: {exc}")
            raise
        f = upload.figures
        job.summary = (f"Import {upload.pk} into division {upload.division_id}: {f.get('merged', 0)} merged, "
                       f"{f.get('registered', 0)} registered, {f.get('pending', 0)} to review")
        job.figures = {k: v for k, v in f.items() if k != "engine"}
    return {"upload": upload.pk, "status": upload.status}


@shared_task(
    name="linkage.tasks.find_registry_duplicates",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=60,
    max_retries=3,
)
def find_registry_duplicates() -> dict:
    """Nightly: probable duplicate people among the waiting registrations, for the coordinators.

    Idempotent: a pair found again is refreshed, never listed twice; pairs a coordinator
    decided stay decided.
    """
    with tracked("linkage.find_registry_duplicates") as job:
        figures = duplicates.find_duplicates()
        job.figures = figures
        job.summary = f"{figures['pairs']} probable duplicate pairs ({figures['new']} new) among {figures['people']} people"
    return figures
