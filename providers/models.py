"""Clinic and Provider Registry: clinics, providers, staff, delegation, declared capacity."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from registries.vocab import NEEDS, PROVIDER_GENDERS


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    community = models.ForeignKey("registries.Community", on_delete=models.PROTECT, related_name="clinics")
    address = models.CharField(max_length=250)
    postal_code = models.CharField(max_length=7, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    fax = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    # {"mon": "08:30-17:00", ..., "sun": ""}: a clinic's hours per weekday, as staff write them.
    hours = models.JSONField(default=dict, blank=True)
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    accessibility_notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("manage_clinic", "Keep this clinic's profile and staff current")]
        indexes = [models.Index(fields=["community"])]

    def __str__(self):
        return self.name


class Provider(models.Model):
    class Kind(models.TextChoices):
        FP = "FP", "Family physician"
        NP = "NP", "Nurse practitioner"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="provider"
    )
    kind = models.CharField(max_length=2, choices=Kind.choices)
    practitioner_number = models.CharField(max_length=10, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    gender = models.CharField(max_length=1, choices=PROVIDER_GENDERS, blank=True)
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    clinics = models.ManyToManyField(Clinic, through="ProviderClinic", related_name="providers")
    communities = models.ManyToManyField("registries.Community", related_name="providers", blank=True)
    declines_needs = ArrayField(models.CharField(max_length=20, choices=NEEDS), default=list, blank=True)
    accepting = models.BooleanField(default=False)
    # Declared new places minus those proposed, offered or attached since the declaration.
    # Kept in step by the services that propose, offer and attach (under a row lock);
    # the capacity refresh job recomputes it from history and repairs any drift.
    open_capacity = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        permissions = [("act_for_provider", "Act for this provider (delegated staff)")]
        constraints = [
            models.CheckConstraint(condition=Q(open_capacity__gte=0), name="provider_open_capacity_not_negative"),
            models.CheckConstraint(condition=Q(kind__in=["FP", "NP"]), name="provider_kind_valid"),
        ]
        indexes = [models.Index(fields=["accepting", "open_capacity"])]

    def __str__(self):
        title = "Dr." if self.kind == self.Kind.FP else "NP"
        return f"{title} {self.first_name} {self.last_name}"


class ProviderClinic(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "clinic"], name="provider_clinic_unique")]


class ClinicMembership(models.Model):
    """A staff member of a clinic (an MOA or the clinic lead)."""

    class Role(models.TextChoices):
        MOA = "moa", "Medical office assistant"
        LEAD = "lead", "Clinic lead"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinic_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MOA)
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "user"], name="clinic_membership_unique"),
            models.CheckConstraint(condition=Q(role__in=["moa", "lead"]), name="clinic_membership_role_valid"),
        ]


class Delegation(models.Model):
    """A provider and a staff member agree that the staff member acts for the provider.

    Either side starts it (the endorsement process of seed 001): the provider endorses
    (ENDORSED, the staff member confirms) or the staff member asks (REQUESTED, the
    provider confirms). `endorsed_by` is whoever started it.
    """

    class Status(models.TextChoices):
        ENDORSED = "endorsed", "Endorsed, awaiting acceptance"
        REQUESTED = "requested", "Asked by the staff member, awaiting the provider"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="delegations")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ENDORSED)
    endorsed_at = models.DateTimeField(auto_now_add=True)
    endorsed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "delegate"], condition=~Q(status="ended"), name="one_open_delegation_per_pair"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["endorsed", "requested", "active", "ended"]), name="delegation_status_valid"
            ),
        ]


class CapacityDeclaration(models.Model):
    """What a provider (or their MOA) declared, when. The newest one is in force; history is kept."""

    class Complexity(models.TextChoices):
        LOW = "low", "Low complexity only"
        MODERATE = "moderate", "Up to moderate complexity"
        HIGH = "high", "Any complexity"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="capacity_declarations")
    accepting = models.BooleanField()
    new_patients = models.PositiveIntegerField(help_text="New patients the provider can take now (0 = not accepting).")
    monthly_intake = models.PositiveIntegerField(default=0)
    desired_panel_size = models.PositiveIntegerField(null=True, blank=True)
    complexity = models.CharField(max_length=10, choices=Complexity.choices, default=Complexity.MODERATE)
    note = models.CharField(max_length=500, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    declared_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-declared_at"]
        get_latest_by = "declared_at"
        constraints = [
            models.CheckConstraint(condition=Q(new_patients__gte=0), name="capacity_new_patients_not_negative"),
            models.CheckConstraint(
                condition=Q(accepting=True) | Q(new_patients=0), name="not_accepting_means_zero_places"
            ),
        ]
        indexes = [models.Index(fields=["provider", "-declared_at"])]
