"""Background jobs leave a JobRun row: administrators see each job's last run and outcome.

A running job beats: a thread of its own (with its own database connection, so the beat
is seen while the job's transaction is still open) stamps `heartbeat_at` every
ATTACH_JOB_HEARTBEAT_SECONDS. A worker that is killed stops beating; attachment/core/reaper.py
finds the silent run, ends it and sends its task again.
"""

import logging
import threading
import time
import traceback
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models.functions import Now
from django.dispatch import Signal
from django.utils import timezone

from attachment.core.models import JobRun

log = logging.getLogger("attach.jobs")

# Sent by the reaper for each run whose worker stopped, with `job` (the JobRun, already
# marked interrupted) and `restarted` (True: the task was sent again; False: given up).
# The app that owns the job's subject tells its user (registries: the upload page,
# matching: the run page).
job_interrupted = Signal()


class _Heartbeat(threading.Thread):
    def __init__(self, run_id: int, every: float):
        super().__init__(name=f"job-heartbeat-{run_id}", daemon=True)
        self.run_id = run_id
        self.every = every
        self.done = threading.Event()

    def run(self):
        try:
            while not self.done.wait(self.every):
                try:
                    JobRun.objects.filter(pk=self.run_id, outcome=JobRun.Outcome.RUNNING).update(heartbeat_at=Now())
                except DatabaseError:
                    # A missed beat is not the job's failure; the next one reconnects.
                    log.warning("job %s: heartbeat not written", self.run_id, exc_info=True)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

    def stop(self):
        self.done.set()
        self.join()


@contextmanager
def tracked(name: str, *, task: str = "", args=()):
    """Record a run of job `name`. The body may set `run.summary` and `run.figures`.

    The row is written outside the job's own transaction, so a failed job still
    leaves its FAILED record behind. `task` and `args` name the Celery task that does
    the job again when its worker dies mid-way (the task must be idempotent).
    """
    run = JobRun.objects.create(name=name, heartbeat_at=Now(), task=task, task_args=list(args))
    heartbeat = _Heartbeat(run.pk, settings.ATTACH_JOB_HEARTBEAT_SECONDS)
    heartbeat.start()
    try:
        yield run
    except Exception as exc:
        run.outcome = JobRun.Outcome.FAILED
        run.error = "".join(traceback.format_exception(exc))[-4000:]
        run.summary = run.summary or f"{type(exc).__name__}: {exc}"[:500]
        raise
    else:
        run.outcome = JobRun.Outcome.SUCCEEDED
    finally:
        heartbeat.stop()
        run.finished_at = timezone.now()
        run.save(update_fields=["outcome", "error", "summary", "figures", "finished_at"])
        log.info("job %s %s: %s %s", name, run.outcome, run.summary, run.figures)


class Stopwatch:
    """Seconds per step, added into `into` (a dict) when one is given (benchmarks print them)."""

    def __init__(self, into: dict | None):
        self.into = into
        self.started = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.into is not None:
            self.into[name] = self.into.get(name, 0.0) + now - self.started
        self.started = now
def was_interrupted(task: str, args) -> bool:
    """Whether a run of `task(*args)` lost its worker (the page says it was restarted)."""
    return JobRun.objects.filter(task=task, task_args=list(args), interrupted=True).exists()
