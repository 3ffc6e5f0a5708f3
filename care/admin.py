from django.contrib import admin

from care.models import Programme, ReferralType


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    """The list of programmes is data: administrators add, rename or close one here.
    Care records themselves are changed only through the care pages (audited)."""

    list_display = ("name", "code", "active", "position")
    list_editable = ("active", "position")


@admin.register(ReferralType)
class ReferralTypeAdmin(admin.ModelAdmin):
    """The kinds of referral and the days each step is expected to take: data, tuned here.
    A change applies to steps started after it (a step's due date is set when it starts)."""

    list_display = ("name", "category", "accept_days", "book_days", "seen_days", "report_days", "close_days",
                    "active")
    list_filter = ("category", "active")
