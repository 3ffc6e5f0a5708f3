"""A background job's progress bar, kept in the cache: percent and phase per job id.

A page polls it while a Celery task writes it; it is a display, never the job's state
(that is the job's row), so losing it (Redis restarted) shows "Waiting for a worker".
"""

from django.core.cache import cache

KEEP_SECONDS = 6 * 3600


class CachedProgress:
    def __init__(self, prefix: str):
        self.prefix = prefix

    def key(self, job_id: int) -> str:
        return f"{self.prefix}:{job_id}:progress"

    def set(self, job_id: int, percent: int, phase: str) -> None:
        cache.set(self.key(job_id), {"percent": int(percent), "phase": phase}, timeout=KEEP_SECONDS)

    def get(self, job_id: int) -> dict:
        return cache.get(self.key(job_id)) or {"percent": 0, "phase": "Waiting for a worker"}
