from django.contrib import admin

from attachment.core.admin import AuditedAdmin
from registries.models import (
    PCN,
    Community,
    Division,
    HealthAuthority,
    PanelConflict,
    PanelEntry,
    PanelUpload,
    WaitlistFlag,
)


@admin.register(HealthAuthority)
class HealthAuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["name", "health_authority"]
    list_filter = ["health_authority"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(PCN)
class PCNAdmin(admin.ModelAdmin):
    list_display = ["name", "division"]
    list_filter = ["division__health_authority"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "pcn", "division"]
    list_filter = ["division"]
    search_fields = ["name"]


@admin.register(PanelEntry)
class PanelEntryAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["patient", "provider", "since", "source", "ended_at"]
    list_filter = ["source"]
    raw_id_fields = ["patient", "provider", "created_by"]
    search_fields = ["patient__phn", "provider__practitioner_number"]
    show_full_result_count = False


@admin.register(PanelUpload)
class PanelUploadAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["file_name", "provider", "status", "rows_read", "rows_valid", "rows_loaded", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["provider", "uploaded_by", "load_requested_by"]
    readonly_fields = ["content_hash", "stored_path", "report"]
    show_full_result_count = False


@admin.register(PanelConflict)
class PanelConflictAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["patient", "claiming_provider", "existing_entry", "created_at", "resolution", "resolved_at"]
    list_filter = ["resolution"]
    raw_id_fields = ["patient", "existing_entry", "claiming_provider", "upload", "resolved_by"]


@admin.register(WaitlistFlag)
class WaitlistFlagAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["patient", "registration", "provider", "division", "created_at", "resolved_at"]
    list_filter = ["division"]
    raw_id_fields = ["patient", "registration", "provider", "upload", "resolved_by"]
