from django.contrib import admin

from registries.models import PCN, Community, Division, HealthAuthority, PanelEntry


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
class PanelEntryAdmin(admin.ModelAdmin):
    list_display = ["patient", "provider", "since", "source", "ended_at"]
    list_filter = ["source"]
    raw_id_fields = ["patient", "provider", "created_by"]
    search_fields = ["patient__phn", "provider__practitioner_number"]
    show_full_result_count = False
