"""Report snapshots: the aggregates of one division, built in the background.

Dashboards read the newest snapshot instead of scanning the registries at request time.
`data` holds unsuppressed counts (small-cell suppression is applied when a report is
shown or exported), so it is read only by the report views, never shown raw.
"""

from django.db import models


class ReportSnapshot(models.Model):
    division = models.ForeignKey("registries.Division", on_delete=models.CASCADE, related_name="report_snapshots")
    as_of = models.DateField(help_text="The last day the snapshot covers (local time).")
    period = models.CharField(max_length=10, default="52w", help_text="The span of history it holds.")
    period_start = models.DateField()
    built_at = models.DateTimeField(auto_now=True)
    seconds = models.FloatField(default=0, help_text="How long the build took.")
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["-as_of", "-built_at"]
        get_latest_by = "built_at"
        constraints = [
            # Rebuilding on the same day replaces that day's snapshot: the job is idempotent.
            models.UniqueConstraint(fields=["division", "as_of", "period"], name="one_snapshot_per_division_day"),
        ]
        indexes = [models.Index(fields=["division", "-built_at"], name="snapshot_latest")]

    def __str__(self):
        return f"{self.division} as of {self.as_of} ({self.period})"


class OpenFiguresSnapshot(models.Model):
    """The open monthly figures (/figures/), as published: built once a month by a beat job.

    `data` holds only what the public sees (every count of people already suppressed,
    reports.figures): the page and its CSV serve it as stored.
    """

    month = models.DateField(unique=True, help_text="The first day of the month the figures describe.")
    built_at = models.DateTimeField(auto_now=True)
    seconds = models.FloatField(default=0, help_text="How long the build took.")
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["-month"]
        get_latest_by = "month"
        constraints = [
            models.CheckConstraint(condition=models.Q(month__day=1), name="open_figures_month_first_day"),
        ]

    def __str__(self):
        return f"Open figures for {self.month:%Y-%m}"
