"""Geography shared by every registry, and the Panel Registry (who is attached to whom)."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class HealthAuthority(models.Model):
    name = models.CharField(max_length=100, unique=True)
    code = models.SlugField(max_length=20, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "health authorities"

    def __str__(self):
        return self.name


class Division(models.Model):
    """A Division of Family Practice: the unit that coordinators and managers work within."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    health_authority = models.ForeignKey(HealthAuthority, on_delete=models.PROTECT, related_name="divisions")

    class Meta:
        ordering = ["name"]
        permissions = [
            ("coordinate_division", "Work the waitlist of this division"),
            ("view_division_reports", "See aggregate reports of this division"),
        ]

    def __str__(self):
        return self.name


class PCN(models.Model):
    """Primary Care Network within a division."""

    name = models.CharField(max_length=120, unique=True)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="pcns")

    class Meta:
        ordering = ["name"]
        verbose_name = "PCN"
        verbose_name_plural = "PCNs"

    def __str__(self):
        return self.name


class Community(models.Model):
    """A community of residence; matching pairs people and providers within one."""

    name = models.CharField(max_length=120, unique=True)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="communities")
    pcn = models.ForeignKey(PCN, on_delete=models.PROTECT, related_name="communities", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "communities"

    def __str__(self):
        return self.name


class PanelEntry(models.Model):
    """One patient on one provider's panel. Ending an entry keeps it, with the reason."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "Panel file upload"
        ATTACH = "attach", "Attached through the registry"
        FEE_CODE = "98990", "Attachment fee code 98990"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="panel_entries")
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="panel_entries")
    since = models.DateField()
    source = models.CharField(max_length=10, choices=Source.choices)
    last_visit = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "panel entries"
        constraints = [
            # A person has one most-responsible primary care provider at a time.
            models.UniqueConstraint(
                fields=["patient"], condition=Q(ended_at__isnull=True), name="one_open_panel_entry_per_patient"
            ),
            models.CheckConstraint(condition=Q(source__in=["upload", "attach", "98990"]), name="panel_entry_source_valid"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | ~Q(end_reason=""), name="ended_panel_entry_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["provider"], condition=Q(ended_at__isnull=True), name="open_panel_by_provider"),
        ]

    def __str__(self):
        return f"{self.patient_id} on panel of {self.provider_id}"
