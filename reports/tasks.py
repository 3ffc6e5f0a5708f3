"""Celery tasks of the reports: thin, idempotent wrappers over reports.services."""

import logging

from celery import shared_task
from django.db import OperationalError

from attachment.core.jobs import tracked
from reports import selectors, services

log = logging.getLogger("attach.reports")

TRANSIENT = (OperationalError,)


def _progress(task):
    def report(step, done, total):
        if task.request.id:
            task.update_state(state="PROGRESS", meta={"step": step, "done": done, "total": total})

    return report


@shared_task(bind=True, acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def build_all_snapshots(self):
    """Nightly: one snapshot per division. Re-running on the same day replaces that day's rows."""
    with tracked("report_snapshot") as run:
        snapshots = services.build_snapshots(None, progress=_progress(self))
        selectors.warm(snapshots)
        run.summary = f"Built {len(snapshots)} division snapshot(s)"
        run.figures = {"divisions": len(snapshots), "seconds": snapshots[0].seconds if snapshots else 0}
    return {"divisions": len(snapshots)}


@shared_task(bind=True, acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def build_division_snapshot(self, division_id: int):
    """A manager asked for a fresh snapshot of one division."""
    with tracked("report_snapshot") as run:
        snapshots = services.build_snapshots([division_id], progress=_progress(self))
        selectors.warm(snapshots)
        run.summary = f"Built the snapshot of division {division_id}"
        run.figures = {"divisions": 1, "division": division_id, "seconds": snapshots[0].seconds}
    return {"division": division_id, "snapshot": snapshots[0].pk}


@shared_task(name="reports.tasks.build_open_figures", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True,
             max_retries=3)
def build_open_figures(month: str | None = None):
    """Monthly (the 1st): the open figures of the month just ended. Re-running replaces that month's."""
    import datetime

    from reports import figures

    with tracked("reports.open_figures") as run:
        snapshot = figures.build(datetime.date.fromisoformat(month) if month else None)
        run.summary = f"Open figures built for {snapshot.month:%Y-%m}"
        run.figures = {"month": snapshot.month.isoformat(), "seconds": snapshot.seconds,
                       "areas": len(snapshot.data["areas"])}
    return {"month": snapshot.month.isoformat(), "snapshot": snapshot.pk}
