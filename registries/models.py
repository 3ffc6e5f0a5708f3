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
        permissions = [("coordinate_care_in_pcn", "Coordinate the care of patients on this PCN's panels")]

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

    # Indexed by one_open_panel_entry_per_patient (open entries), which serves every look-up by
    # patient; a full index would be one more per row of every upload (a million-row panel: 1 s).
    # Patients are never deleted (PROTECT), so no foreign key check needs the ended ones by patient.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="panel_entries", db_index=False
    )
    # Indexed with ended_at (panel_by_provider) rather than alone: one index a bulk load maintains, not two.
    provider = models.ForeignKey(
        "providers.Provider", on_delete=models.PROTECT, related_name="panel_entries", db_index=False
    )
    since = models.DateField()
    source = models.CharField(max_length=10, choices=Source.choices)
    last_visit = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # No query looks entries up by who made them; an index would be one more per row of every upload.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
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
            # A provider's open panel (ended_at IS NULL is an index condition) and their whole history.
            models.Index(fields=["provider", "ended_at"], name="panel_by_provider"),
            # A page of a provider's open panel in the API's cursor order (id): LIMIT 51 reads
            # 51 index entries, where panel_by_provider or the primary key walk the whole panel.
            models.Index(fields=["provider", "id"], condition=Q(ended_at__isnull=True), name="panel_open_page"),
        ]

    def __str__(self):
        return f"{self.patient_id} on panel of {self.provider_id}"


class PanelUpload(models.Model):
    """One panel file a provider (or their MOA, or an administrator) sent: its check report and load outcome."""

    class Status(models.TextChoices):
        CHECKED = "checked", "Checked, awaiting a decision"
        LOADING = "loading", "Loading"
        LOADED = "loaded", "Loaded"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="panel_uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    # The file is stored once per content (content-addressed), so the load reads exactly what was checked.
    content_hash = models.CharField(max_length=64)
    stored_path = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKED)
    rows_read = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    load_requested_at = models.DateTimeField(null=True, blank=True)
    load_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["checked", "loading", "loaded", "cancelled", "failed"]),
                name="panel_upload_status_valid",
            ),
            models.CheckConstraint(condition=Q(rows_valid__lte=models.F("rows_read")), name="panel_upload_valid_le_read"),
            models.CheckConstraint(
                condition=Q(rows_loaded__lte=models.F("rows_valid")), name="panel_upload_loaded_le_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "-created_at"]),
            models.Index(fields=["provider", "content_hash"]),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def rows_bad(self):
        return self.rows_read - self.rows_valid


class PanelConflict(models.Model):
    """A provider's claim on a patient that is not applied until a coordinator decides.

    Either the patient is already on another provider's open panel (a person has one open
    panel entry), or the claim's name or date of birth are not the registry's for that PHN
    (an identity conflict: the file or the form may name somebody else). The coordinators of
    the divisions concerned decide, with the claim's details beside the registry's.
    """

    class Kind(models.TextChoices):
        PANEL = "panel", "On another provider's panel"
        IDENTITY = "identity", "Name or date of birth differ from the registry's"

    class Resolution(models.TextChoices):
        KEEP_EXISTING = "keep", "Kept on the existing panel"
        MOVED = "moved", "Moved to the claiming provider"
        CONFIRMED = "confirmed", "Same person: the claim goes ahead"
        REJECTED = "rejected", "Not the same person: not added"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PANEL)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="panel_conflicts")
    # The patient's open entry with another provider when the claim was made (none for an identity
    # conflict about somebody on no panel).
    existing_entry = models.ForeignKey(
        PanelEntry, on_delete=models.PROTECT, related_name="conflicts", null=True, blank=True
    )
    claiming_provider = models.ForeignKey(
        "providers.Provider", on_delete=models.PROTECT, related_name="panel_claims"
    )
    upload = models.ForeignKey(PanelUpload, on_delete=models.SET_NULL, null=True, blank=True, related_name="conflicts")
    claimed_last_visit = models.DateField(null=True, blank=True)
    # What the file row (or the form) said, shown beside the registry's record.
    claimed_first_name = models.CharField(max_length=100, blank=True)
    claimed_last_name = models.CharField(max_length=100, blank=True)
    claimed_date_of_birth = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolution_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # Uploading the same claim again must not pile up duplicates for the coordinator.
            models.UniqueConstraint(
                fields=["patient", "claiming_provider"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_conflict_per_claim",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution="") | (Q(resolved_at__isnull=False) & ~Q(resolution="")),
                name="panel_conflict_resolution_consistent",
            ),
            models.CheckConstraint(condition=Q(kind__in=["panel", "identity"]), name="panel_conflict_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind="identity") | Q(existing_entry__isnull=False), name="panel_conflict_has_existing_entry"
            ),
        ]
        indexes = [
            models.Index(fields=["claiming_provider"], condition=Q(resolved_at__isnull=True), name="open_conflict_by_claimant"),
        ]


class WaitlistFlag(models.Model):
    """A patient on an uploaded panel who also has an open waitlist registration.

    They may already be attached and not need a place; the coordinator checks.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="waitlist_flags")
    registration = models.ForeignKey("patients.Registration", on_delete=models.CASCADE, related_name="panel_flags")
    # Denormalised from the registration so each coordinator's list is one indexed filter.
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="waitlist_flags")
    upload = models.ForeignKey(PanelUpload, on_delete=models.SET_NULL, null=True, blank=True, related_name="flags")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "provider"], condition=Q(resolved_at__isnull=True), name="one_open_flag_per_patient_provider"
            ),
        ]
        indexes = [
            models.Index(fields=["division"], condition=Q(resolved_at__isnull=True), name="open_flag_by_division"),
        ]
