from django.db import models
from django.db.models import Q


class JobRun(models.Model):
    """One run of a background job: when, how it ended, what it did (shown in the admin)."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=100, db_index=True)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    summary = models.CharField(max_length=500, blank=True)
    figures = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # Written by the running job every few seconds (the database's clock); a running job
    # whose heartbeat has stopped lost its worker, and the reaper (attachment/core/reaper.py)
    # ends it and, when it can be restarted, sends the task again.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The Celery task and arguments that carry the job out again; empty: not restartable.
    task = models.CharField(max_length=200, blank=True)
    task_args = models.JSONField(default=list, blank=True)
    # Set by the reaper: this run's worker stopped before the job finished.
    interrupted = models.BooleanField(default=False)

    class Meta:
        app_label = "attachment"
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["name", "-started_at"]),
            models.Index(fields=["heartbeat_at"], condition=Q(outcome="running"), name="jobrun_running_heartbeat"),
            models.Index(fields=["task"], condition=~Q(task=""), name="jobrun_task"),
        ]

    def __str__(self):
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def seconds(self):
        if self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
