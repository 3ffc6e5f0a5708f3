"""What the FHIR interface keeps: a clinic's integration settings, the panel messages it
processed (for idempotency), and the webhook outbox of EMR handoffs."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class ClinicIntegration(models.Model):
    """A clinic's link to its EMR: the MSP facility number it is known by, and the webhook
    its handoffs are pushed to (set by the clinic lead or an administrator)."""

    clinic = models.OneToOneField("providers.Clinic", on_delete=models.CASCADE, related_name="integration")
    facility_number = models.CharField(
        "MSP facility number", max_length=10, blank=True,
        help_text="The facility number the Medical Services Plan knows the clinic by.",
    )
    webhook_url = models.URLField("Webhook URL", max_length=500, blank=True)
    # Shared with the EMR to sign each push (HMAC-SHA256); never shown again once saved.
    webhook_secret = models.CharField(max_length=128, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility_number"], condition=~Q(facility_number=""),
                                    name="one_clinic_per_facility_number"),
            models.CheckConstraint(condition=Q(webhook_url="") | ~Q(webhook_secret=""),
                                   name="webhook_has_secret"),
        ]

    def __str__(self):
        return f"Integration of {self.clinic}"

    @property
    def pushes(self) -> bool:
        return bool(self.webhook_url and self.webhook_secret)


class ProcessedMessage(models.Model):
    """A panel message ($process-message) that was applied, and the response it got: a
    replay of its id answers the same response and changes nothing."""

    message_id = models.CharField(max_length=64, unique=True)
    # The request's SHA-256: the same id with another body is refused, not answered.
    body_hash = models.CharField(max_length=64)
    event = models.CharField(max_length=40)
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)
    response = models.JSONField()

    def __str__(self):
        return self.message_id


class Delivery(models.Model):
    """One handoff Bundle to push to a clinic's webhook: the outbox row, written in the
    attach transaction, delivered by the `fhir.deliver_handoff` task."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be delivered"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up retrying)"

    offer = models.ForeignKey("attachment.Offer", on_delete=models.PROTECT, related_name="handoff_deliveries")
    clinic = models.ForeignKey("providers.Clinic", on_delete=models.PROTECT, related_name="handoff_deliveries")
    # Sent as the Idempotency-Key header: the receiver keeps one copy whatever the retries.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    url = models.URLField(max_length=500)
    # The exact bytes that are signed and sent, fixed when the household was attached.
    payload = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "delivered", "failed"]),
                                   name="delivery_status_valid"),
            models.CheckConstraint(condition=Q(status="delivered", delivered_at__isnull=False)
                                   | (~Q(status="delivered") & Q(delivered_at__isnull=True)),
                                   name="delivered_when_delivered_at"),
        ]
        indexes = [
            # The sweeper's question: pending deliveries that are due.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_due"),
            # The failed-deliveries page, per clinic.
            models.Index(fields=["clinic", "-created_at"], condition=Q(status="failed"), name="delivery_failed"),
        ]

    def __str__(self):
        return f"Handoff of offer {self.offer_id} to {self.url} ({self.status})"
