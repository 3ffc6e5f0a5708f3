"""API clients (systems bound to a role and a scope) and FHIR bulk exports."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from attachment.core import roles

# The roles a system may be given: the ones whose pages have an API (api/views).
CLIENT_ROLES = [roles.COORDINATOR, roles.MANAGER, roles.MOA, roles.CLINIC_LEAD]


class ApiClient(models.Model):
    """A system that calls the API: its own service-account user, holding one role and
    the scope an administrator gave it, and the OAuth application it takes tokens with.

    The access module answers for the service account exactly as for a person in the
    same role: nothing in the API decides scope.
    """

    class Kind(models.TextChoices):
        EMR = "emr", "Clinic EMR integration"
        WAREHOUSE = "warehouse", "Regional data warehouse"
        OTHER = "other", "Other system"

    name = models.CharField(max_length=100, unique=True, help_text="Shown in the audit trail as 'API client <name>'.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EMR)
    role = models.CharField(max_length=40, choices=[(r, r) for r in CLIENT_ROLES])
    contact_email = models.EmailField(blank=True, help_text="Who at the vendor to tell about changes and incidents.")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client")
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.PROTECT, related_name="api_client"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "API client"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=CLIENT_ROLES), name="api_client_role_valid"),
            models.CheckConstraint(condition=Q(kind__in=["emr", "warehouse", "other"]), name="api_client_kind_valid"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.revoked_at is None


class BulkExport(models.Model):
    """One FHIR bulk data export ($export): what was asked, by whom, its progress and files.

    The providers whose panels it covers are fixed when it is asked (the caller's scope
    then); the files are the requester's alone and are deleted when it expires.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired (files deleted)"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client_name = models.CharField(max_length=100, blank=True)
    # Set for Group/{id}/$export (one provider's panel); empty for the system-level export.
    group = models.ForeignKey("providers.Provider", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    provider_ids = ArrayField(models.BigIntegerField(), default=list)
    types = ArrayField(models.CharField(max_length=30))
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.CharField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.CharField(max_length=100, blank=True)
    # [{"type": "Patient", "file": "Patient.ndjson", "count": 123}], in the order written.
    output = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The FHIR transactionTime: resources are as they stood when the export began.
    transaction_time = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "completed", "failed", "expired", "cancelled"]),
                name="bulk_export_status_valid",
            ),
            models.CheckConstraint(condition=~Q(types=[]), name="bulk_export_has_types"),
        ]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status__in=["completed", "failed"]),
                         name="bulk_export_expiring"),
        ]

    def __str__(self):
        return f"Export {self.pk} ({self.get_status_display()})"
