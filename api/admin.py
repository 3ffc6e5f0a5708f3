"""Administrators register API clients here: a system bound to one role and a scope."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction

from api import clients
from api.models import ApiClient, BulkExport
from attachment.core.admin import AuditedAdmin
from attachment.core.audit import Actor
from attachment.core.errors import DomainError
from providers.models import Clinic, Provider
from registries.models import Division

SCOPE_FIELDS = {"coordinates": "divisions", "reads_reports": "divisions", "manages_clinics": "clinics",
                "acts_for_providers": "providers"}


class ApiClientForm(forms.ModelForm):
    divisions = forms.ModelMultipleChoiceField(
        Division.objects.all(), required=False,
        help_text="Coordinator or division manager: the divisions whose waitlist or reports it reads.")
    clinics = forms.ModelMultipleChoiceField(Clinic.objects.all(), required=False,
                                             help_text="Clinic lead: the clinics it keeps.")
    providers = forms.ModelMultipleChoiceField(
        Provider.objects.all(), required=False,
        help_text="Clinic MOA (an EMR): the providers it acts for, as a delegated MOA does.")

    class Meta:
        model = ApiClient
        fields = ["name", "kind", "role", "contact_email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["role"].disabled = True
            field = SCOPE_FIELDS[clients.SCOPE_OF_ROLE[self.instance.role]]
            self.initial[field] = list(clients.scope_of(self.instance))

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role") or self.instance.role
        if role:
            wanted = SCOPE_FIELDS[clients.SCOPE_OF_ROLE[role]]
            for name in set(SCOPE_FIELDS.values()) - {wanted}:
                if cleaned.get(name):
                    self.add_error(name, f"A client in the role {role} has no scope of this kind.")
            if not cleaned.get(wanted):
                self.add_error(wanted, "Give the client its scope: it would see nothing.")
        return cleaned

    def scope(self):
        return self.cleaned_data[SCOPE_FIELDS[clients.SCOPE_OF_ROLE[self.cleaned_data.get("role")
                                                                    or self.instance.role]]]


@admin.register(ApiClient)
class ApiClientAdmin(AuditedAdmin, admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "kind", "role", "client_id", "created_at", "revoked_at"]
    list_filter = ["kind", "role", "revoked_at"]
    search_fields = ["name", "application__client_id"]
    readonly_fields = ["client_id", "service_account", "created_at", "created_by", "revoked_at", "revoked_by"]
    actions = ["revoke", "issue_new_secret"]

    @admin.display(description="Client id")
    def client_id(self, obj):
        return obj.application.client_id if obj.pk else "(given when saved)"

    @admin.display(description="Service account")
    def service_account(self, obj):
        return obj.user.username if obj.pk else "(made when saved)"

    def _actor(self, request):
        return getattr(request, "actor", None) or Actor.from_request(request)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            clients.set_scope(obj, form.scope(), actor=self._actor(request))
            return
        try:
            client, secret = clients.register_client(
                name=obj.name, kind=obj.kind, role=obj.role, contact_email=obj.contact_email, scope=form.scope(),
                actor=self._actor(request))
        except DomainError as exc:
            raise forms.ValidationError(exc.messages) from exc
        obj.pk = client.pk
        obj.refresh_from_db()
        messages.warning(request, f"Client id: {client.application.client_id} — client secret: {secret} — "
                                  "give both to the vendor now: the secret is stored hashed and is not shown again.")

    @admin.action(description="Revoke: end its tokens now and refuse new ones")
    def revoke(self, request, queryset):
        for client in queryset:
            clients.revoke_client(client, actor=self._actor(request))
        self.message_user(request, f"{queryset.count()} API clients revoked.")

    @admin.action(description="Issue a new client secret (ends its tokens)")
    def issue_new_secret(self, request, queryset):
        for client in queryset:
            try:
                secret = clients.new_secret(client, actor=self._actor(request))
            except DomainError as exc:
                self.message_user(request, f"{client}: {exc}", level=messages.ERROR)
            else:
                self.message_user(request, f"{client}: new client secret {secret} (shown once)",
                                  level=messages.WARNING)

    def has_delete_permission(self, request, obj=None):
        return False  # the trail names clients: revoke, never delete


@admin.register(BulkExport)
class BulkExportAdmin(admin.ModelAdmin):
    """Who exported what, when, and how it went; never the files (the requester's alone)."""

    list_display = ["pk", "requested_by", "client_name", "status", "types", "created_at", "expires_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in BulkExport._meta.fields] + ["provider_ids", "types"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
