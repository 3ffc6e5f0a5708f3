from django.contrib import admin

from attachment.core.models import AuditEvent, JobRun


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: audit history is never edited, by anyone."""

    list_display = ["at", "user", "action", "object_type", "object_id", "summary", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "user__username", "summary"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Each background job's runs: last run, outcome, what it did."""

    list_display = ["name", "started_at", "finished_at", "outcome", "interrupted", "heartbeat_at", "summary"]
    list_filter = ["name", "outcome", "interrupted"]
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
