"""Background jobs leave a JobRun row: administrators see each job's last run and outcome."""

import logging
import time
import traceback
from contextlib import contextmanager

from django.utils import timezone

from attachment.core.models import JobRun

log = logging.getLogger("attach.jobs")


@contextmanager
def tracked(name: str):
    """Record a run of job `name`. The body may set `run.summary` and `run.figures`.

    The row is written outside the job's own transaction, so a failed job still
    leaves its FAILED record behind.
    """
    run = JobRun.objects.create(name=name)
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
