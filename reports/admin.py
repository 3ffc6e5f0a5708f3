from django.contrib import admin

from reports.models import ReportSnapshot


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(admin.ModelAdmin):
    """Which snapshots exist and how long they took; the figures themselves are read on the reports page."""

    list_display = ["division", "as_of", "period", "built_at", "seconds"]
    list_filter = ["as_of", "division"]
    # The data holds unsuppressed counts: not shown here.
    fields = ["division", "as_of", "period", "period_start", "built_at", "seconds"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
