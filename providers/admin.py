from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from providers.models import (
    CapacityDeclaration,
    Clinic,
    ClinicMembership,
    Delegation,
    Provider,
    ProviderClinic,
)


class ProviderClinicInline(admin.TabularInline):
    model = ProviderClinic
    extra = 0
    raw_id_fields = ["provider"]


class MembershipInline(admin.TabularInline):
    model = ClinicMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Clinic)
class ClinicAdmin(GuardedModelAdmin):
    list_display = ["name", "community", "phone"]
    list_filter = ["community__division"]
    search_fields = ["name"]
    inlines = [ProviderClinicInline, MembershipInline]


@admin.register(Provider)
class ProviderAdmin(GuardedModelAdmin):
    list_display = ["__str__", "kind", "practitioner_number", "accepting", "open_capacity"]
    list_filter = ["kind", "accepting"]
    search_fields = ["practitioner_number", "last_name", "first_name"]
    filter_horizontal = ["communities"]
    raw_id_fields = ["user"]


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["provider", "delegate", "status", "endorsed_at", "accepted_at", "ended_at"]
    list_filter = ["status"]
    raw_id_fields = ["provider", "delegate", "endorsed_by", "ended_by"]


@admin.register(CapacityDeclaration)
class CapacityDeclarationAdmin(admin.ModelAdmin):
    list_display = ["provider", "accepting", "new_patients", "monthly_intake", "declared_at", "declared_by"]
    raw_id_fields = ["provider", "declared_by"]
