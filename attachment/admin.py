from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.html import format_html
from guardian.models import UserObjectPermission

from attachment.core import access, audit, roles
from attachment.core.models import AuditEvent, JobRun
from providers.models import Clinic
from registries.models import PCN, Division


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
    """Each background job's runs: last run, outcome, what it did. Read-only, like the audit trail."""

    list_display = ["name", "started_at", "finished_at", "outcome", "interrupted", "heartbeat_at", "summary"]
    list_filter = ["name", "outcome", "interrupted"]
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- users: roles and every scope on one screen ------------------------------------

User = get_user_model()
admin.site.unregister(User)  # django.contrib.auth's plain one, replaced below


class UserScopeForm(UserChangeForm):
    """The user's roles plus the scopes an administrator assigns (django-guardian object perms).

    Acting for a provider is not a field: it comes from a delegation the provider and the
    staff member agree to, so the admin shows it read-only and links to the delegations.
    """

    coordinates = forms.ModelMultipleChoiceField(
        Division.objects.all(), required=False, label="Coordinates the waitlist of",
        widget=FilteredSelectMultiple("divisions", is_stacked=False),
        help_text="Divisions whose waitlist, matching and panels this coordinator works. "
                  "Needs the Attachment coordinator role.",
    )
    reads_reports = forms.ModelMultipleChoiceField(
        Division.objects.all(), required=False, label="Reads the reports of",
        widget=FilteredSelectMultiple("divisions", is_stacked=False),
        help_text="Divisions whose aggregate reports this manager reads. Needs the Division manager role.",
    )
    manages_clinics = forms.ModelMultipleChoiceField(
        Clinic.objects.select_related("community"), required=False, label="Manages the clinics",
        widget=FilteredSelectMultiple("clinics", is_stacked=False),
        help_text="Clinics whose profile, hours and staff this clinic lead keeps. Needs the Clinic lead role.",
    )
    coordinates_care = forms.ModelMultipleChoiceField(
        PCN.objects.select_related("division"), required=False, label="Coordinates care in",
        widget=FilteredSelectMultiple("PCNs", is_stacked=False),
        help_text="Primary care networks whose patients this care coordinator serves. Needs the Care coordinator role.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in roles.ASSIGNABLE_SCOPES:
                self.fields[name].initial = list(roles.scope_objects(self.instance, name))

    def clean(self):
        cleaned = super().clean()
        groups = {g.name for g in cleaned.get("groups") or []}
        for name, scope in roles.ASSIGNABLE_SCOPES.items():
            if cleaned.get(name) and scope.role not in groups:
                self.add_error(name, f"This scope gives access only with the {scope.role} role: "
                                     "tick that role, or clear the scope.")
        return cleaned


@admin.register(User)
class UserScopeAdmin(UserAdmin):
    form = UserScopeForm
    list_display = ["username", "email", "first_name", "last_name", "is_active", "roles_and_scopes"]
    readonly_fields = ["acts_for"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        ("Roles and scopes", {
            "fields": ["groups", "coordinates", "reads_reports", "manages_clinics", "coordinates_care", "acts_for"],
            "description": "Roles are groups; a scope says where a role applies. Every change is audited.",
        }),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "user_permissions"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            "groups",
            Prefetch("userobjectpermission_set",
                     queryset=UserObjectPermission.objects.select_related("permission").prefetch_related("content_object")),
        )

    @admin.display(description="Roles and scopes")
    def roles_and_scopes(self, user):
        labels = {scope.perm.split(".")[1]: scope.label for scope in roles.ASSIGNABLE_SCOPES.values()}
        labels["act_for_provider"] = "acts for"
        held = {}
        for grant in user.userobjectpermission_set.all():
            label = labels.get(grant.permission.codename)
            if label and grant.content_object is not None:
                held.setdefault(label, []).append(str(grant.content_object))
        parts = [", ".join(sorted(g.name for g in user.groups.all())) or "no role"]
        parts += [f"{label}: {', '.join(sorted(names))}" for label, names in held.items()]
        return " · ".join(parts)

    @admin.display(description="Acts for (from delegations)")
    def acts_for(self, user):
        if not user.pk:
            return "-"
        providers = access.acting_providers(user).order_by("last_name", "first_name")
        link = reverse("admin:providers_delegation_changelist") + f"?delegate__id__exact={user.pk}"
        names = ", ".join(str(p) for p in providers) or "nobody"
        return format_html('{} · <a href="{}">Delegations of this user</a> (acting for a provider is '
                           "given by the provider's endorsement, not here)", names, link)

    def save_related(self, request, form, formsets, change):
        before = set(form.instance.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        user = form.instance
        if change:
            roles.set_scopes(user, {name: form.cleaned_data[name] for name in roles.ASSIGNABLE_SCOPES},
                             actor=request.actor)
        after = set(user.groups.values_list("name", flat=True))
        if after != before:
            audit.record(action=AuditEvent.Action.UPDATE, obj=user, actor=request.actor,
                         summary=f"Roles of {user.get_username()}: {', '.join(sorted(after)) or 'none'}",
                         changes={"roles": [sorted(before), sorted(after)]})
