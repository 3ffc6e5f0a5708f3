from django.contrib import admin

from care.models import Programme


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    """The list of programmes is data: administrators add, rename or close one here.
    Care records themselves are changed only through the care pages (audited)."""

    list_display = ("name", "code", "active", "position")
    list_editable = ("active", "position")
