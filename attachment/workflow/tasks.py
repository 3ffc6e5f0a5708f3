"""Celery tasks of the attachment workflow: thin, idempotent wrappers over the services."""

from celery import shared_task
from django.db import OperationalError

from attachment.core.audit import Actor
from attachment.core.jobs import tracked

TRANSIENT = (OperationalError, ConnectionError)


@shared_task(name="attachment.tasks.run_matching", bind=True, acks_late=True, autoretry_for=TRANSIENT,
             retry_backoff=True, max_retries=3)
def run_matching(self, run_id: int) -> dict:
    """Carry out a queued matching run. Re-delivered after a crash, a finished run is left
    alone; a failed one wrote nothing (one transaction) and is run again on retry only
    (not when the dead worker's message comes back after the reaper gave the run up)."""
    from attachment.matching.db import run_matching as run_in_db
    from attachment.workflow.models import MatchRun

    run = MatchRun.objects.get(pk=run_id)
    if run.status == MatchRun.Status.SUCCEEDED or (run.status == MatchRun.Status.FAILED and not self.request.retries):
        return run.figures
    with tracked("matching_run", task=self.name, args=[run.pk]) as job:
        run = run_in_db(run)
        job.summary = f"Run {run.pk}: {run.figures.get('proposed', 0)} proposals"
        job.figures = run.figures
    return run.figures


@shared_task(name="attachment.tasks.scheduled_matching", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def scheduled_matching() -> dict:
    """A region-wide run on the schedule (disabled until an administrator enables it)."""
    from attachment.matching.db import run_matching as run_in_db
    from attachment.workflow.models import MatchRun

    run = MatchRun.objects.create(parameters={"division": None, "community": None, "supersede": True}, phase="Queued")
    # Restarted, it is this run that carries on, not a new scheduled one.
    with tracked("matching_run", task=run_matching.name, args=[run.pk]) as job:
        run_in_db(run)
        job.summary = f"Scheduled run {run.pk}: {run.figures.get('proposed', 0)} proposals"
        job.figures = run.figures
    return run.figures


@shared_task(name="attachment.tasks.expire_offers", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def expire_offers() -> int:
    from attachment.workflow import services

    with tracked("offer_expiry") as job:
        count = services.expire_offers(actor=Actor.task("offer_expiry"))
        job.summary = f"{count} offers expired"
        job.figures = {"expired": count}
    return count


@shared_task(name="attachment.tasks.refresh_capacity", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def refresh_capacity() -> dict:
    from attachment.workflow.capacity_refresh import recompute_open_capacity

    with tracked("capacity_refresh") as job:
        report = recompute_open_capacity()
        job.summary = report.summary
        job.figures = report.as_figures()
    return job.figures
