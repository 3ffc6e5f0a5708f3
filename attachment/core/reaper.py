"""The reaper: brings back the jobs of a worker that died mid-job.

A killed worker (SIGKILL, out of memory, a lost machine) leaves its message
unacknowledged in Redis until the visibility timeout, which must outlast the longest job
and so is far too long to wait. Its JobRun stops beating instead; every 30 seconds (beat,
schedule in attachment/migrations/0008_reaper_schedule.py) the reaper ends each running
JobRun silent for ATTACH_JOB_STALE_SECONDS as interrupted and, for a restartable one,
sends its task again, until ATTACH_JOB_MAX_ATTEMPTS runs of it have been made. The tasks
are idempotent, so the late re-delivery of the dead worker's own message, or a reaped job
whose worker was only slow, changes nothing a second time.

`job_interrupted` (attachment/core/jobs.py) lets the job's owner tell its user: the upload page
says the load was restarted, or failed and should be tried again.
"""

import datetime
import logging

from celery import current_app, shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from attachment.core.jobs import job_interrupted
from attachment.core.models import JobRun

log = logging.getLogger("attach.jobs")


def _should_send_again(job: JobRun) -> bool:
    if not job.task:
        return False
    runs = JobRun.objects.filter(task=job.task, task_args=job.task_args)
    if runs.filter(started_at__gt=job.started_at, outcome=JobRun.Outcome.SUCCEEDED).exists():
        return False  # done since by another delivery: nothing left to do
    return runs.count() < settings.ATTACH_JOB_MAX_ATTEMPTS


def _alive_elsewhere(job: JobRun, fresh) -> bool:
    """Another run of the same task still beats (a worker whose child died re-delivers at once)."""
    return (
        JobRun.objects.filter(task=job.task, task_args=job.task_args, outcome=JobRun.Outcome.RUNNING,
                              heartbeat_at__gte=fresh)
        .exclude(pk=job.pk)
        .exists()
    )


def reap_stale_jobs() -> list[dict]:
    """End every running job whose heartbeat stopped; send the restartable ones again."""
    stale = Now() - datetime.timedelta(seconds=settings.ATTACH_JOB_STALE_SECONDS)
    reaped = []
    with transaction.atomic():
        # SKIP LOCKED: a second reaper (a manual run beside beat's) takes other rows, never the same.
        silent = list(
            JobRun.objects.select_for_update(skip_locked=True)
            .filter(outcome=JobRun.Outcome.RUNNING)
            .filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=timezone.now()
                                                   - datetime.timedelta(seconds=settings.ATTACH_JOB_STALE_SECONDS)))
            .order_by("started_at")
        )
        for job in silent:
            elsewhere = bool(job.task) and _alive_elsewhere(job, stale)
            send = not elsewhere and _should_send_again(job)
            job.outcome = JobRun.Outcome.FAILED
            job.interrupted = True
            job.finished_at = timezone.now()
            job.summary = (
                "The worker stopped during this run; "
                + ("another run of it is under way." if elsewhere
                   else "it was sent again." if send
                   else "it was not restarted." if not job.task
                   else f"given up after {settings.ATTACH_JOB_MAX_ATTEMPTS} runs.")
            )
            job.error = job.error or "No heartbeat: the worker was killed or lost."
            job.save(update_fields=["outcome", "interrupted", "finished_at", "summary", "error"])
            log.warning("job %s (%s %s): %s", job.pk, job.task or job.name, job.task_args, job.summary)
            if not elsewhere:
                job_interrupted.send(sender=JobRun, job=job, restarted=send)
            if send:
                # Inside the transaction: if Redis refuses, the row stays running and the
                # next tick tries again; a message sent but not committed is a harmless
                # second delivery.
                current_app.send_task(job.task, args=job.task_args)
            reaped.append({"job": job.pk, "name": job.name, "task": job.task, "args": job.task_args,
                           "sent_again": send})
    return reaped


@shared_task(name="attachment.reaper.reap_stale_jobs", acks_late=True)
def reap_stale_jobs_task() -> list[dict]:
    """Beat's entry point (every 30 s). Nothing reaped, nothing recorded: no JobRun per tick."""
    return reap_stale_jobs()
