from django.contrib import admin

from attachment.core.admin import AuditedAdmin
from patients.models import ContactNote, Patient, Registration, RegistrationStatusChange


class MemberInline(admin.TabularInline):
    model = Patient
    extra = 0
    fields = ["phn", "first_name", "last_name", "date_of_birth", "gender", "is_primary_contact"]


class StatusInline(admin.TabularInline):
    model = RegistrationStatusChange
    extra = 0
    readonly_fields = ["from_status", "to_status", "at", "by", "reason"]


class ContactNoteInline(admin.TabularInline):
    model = ContactNote
    extra = 0
    readonly_fields = ["kind", "outcome", "is_reminder", "note", "at", "by"]
    can_delete = False


@admin.register(Registration)
class RegistrationAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["reference_code", "community", "status", "effective_priority", "registered_at", "household_size"]
    list_filter = ["status", "division"]
    search_fields = ["reference_code"]
    readonly_fields = ["reference_code", "effective_priority"]
    raw_id_fields = ["community", "division", "entered_by"]
    inlines = [MemberInline, StatusInline, ContactNoteInline]
    show_full_result_count = False


@admin.register(Patient)
class PatientAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["phn", "last_name", "first_name", "date_of_birth"]
    search_fields = ["=phn", "last_name"]
    raw_id_fields = ["registration"]
    show_full_result_count = False
