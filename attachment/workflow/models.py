"""The attachment workflow: matching runs, their proposals, offers and declined pairs.

Places: a proposal takes the household's places from the provider's open capacity
when it is made (the matching run does that in bulk); the offer made from it keeps
holding them; attaching consumes them for good. A skipped proposal, or an offer that
is declined, expires or is withdrawn, gives them back. `places` on each row is what
was taken, so the accounting does not depend on the household's size changing later.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class MatchRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # What the run is doing now, shown on the progress page while it runs.
    phase = models.CharField(max_length=60, blank=True)
    # {"division": id | null, "community": id | null}: the run's limits.
    parameters = models.JSONField(default=dict, blank=True)
    figures = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        app_label = "attachment"
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]), name="match_run_status_valid"
            ),
        ]

    def __str__(self):
        return f"Matching run {self.pk} ({self.get_status_display()})"

    @property
    def is_done(self):
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def seconds(self):
        if self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 1)
        return None


class Proposal(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        OFFERED = "offered", "Offer sent"
        SKIPPED = "skipped", "Skipped"
        # Left unsent when a newer run for the same area started: that run gave the
        # places back and matched the household again with everyone else.
        SUPERSEDED = "superseded", "Superseded by a newer run"

    match_run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="proposals")
    registration = models.ForeignKey("patients.Registration", on_delete=models.CASCADE, related_name="proposals")
    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="proposals")
    places = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    skip_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        app_label = "attachment"
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"], condition=Q(status="proposed"), name="one_open_proposal_per_registration"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "offered", "skipped", "superseded"]), name="proposal_status_valid"
            ),
            models.CheckConstraint(condition=~Q(status="skipped") | ~Q(skip_reason=""), name="skipped_proposal_has_reason"),
            models.CheckConstraint(condition=Q(places__gte=1), name="proposal_places_positive"),
        ]
        indexes = [
            models.Index(fields=["provider", "status", "created_at"]),
            models.Index(fields=["status", "match_run"]),
        ]

    def __str__(self):
        return f"Proposal {self.pk}: {self.registration_id} → {self.provider_id}"


class Offer(models.Model):
    class Status(models.TextChoices):
        SENT = "sent", "Sent to clinic"
        CLINIC_ACCEPTED = "clinic_accepted", "Clinic accepted, awaiting patient"
        CLINIC_DECLINED = "clinic_declined", "Clinic declined"
        ATTACHED = "attached", "Patient confirmed: attached"
        PATIENT_DECLINED = "patient_declined", "Patient declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # An offer in one of these still holds the household's places and waits on someone.
    OPEN_STATUSES = (Status.SENT, Status.CLINIC_ACCEPTED)
    # Places still held (open) or consumed (attached): what counts against capacity.
    HOLDING_STATUSES = (Status.SENT, Status.CLINIC_ACCEPTED, Status.ATTACHED)

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="offer")
    registration = models.ForeignKey("patients.Registration", on_delete=models.PROTECT, related_name="offers")
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="offers")
    clinic = models.ForeignKey("providers.Clinic", on_delete=models.PROTECT, related_name="offers")
    places = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SENT)
    meet_and_greet_at = models.DateTimeField(null=True, blank=True)
    # When the household was last emailed its meet-and-greet; empty when it has no address.
    meet_and_greet_notified_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clinic_answered_at = models.DateTimeField(null=True, blank=True)
    clinic_answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    patient_notified_at = models.DateTimeField(null=True, blank=True)
    patient_answered_at = models.DateTimeField(null=True, blank=True)
    # The coordinator who recorded the patient's answer; empty when the patient answered online.
    patient_answer_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "attachment"
        ordering = ["-sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(status__in=["sent", "clinic_accepted"]),
                name="one_open_offer_per_registration",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[
                    "sent", "clinic_accepted", "clinic_declined", "attached", "patient_declined", "expired", "withdrawn",
                ]),
                name="offer_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["clinic_declined", "patient_declined"]) | ~Q(decline_reason=""),
                name="declined_offer_has_reason",
            ),
            # Whoever answered, the record says when: an accepted or attached offer was answered by the clinic.
            models.CheckConstraint(
                condition=~Q(status__in=["clinic_accepted", "clinic_declined", "attached", "patient_declined"])
                | Q(clinic_answered_at__isnull=False),
                name="answered_offer_has_clinic_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="attached") | Q(patient_answered_at__isnull=False),
                name="attached_offer_has_patient_time",
            ),
            models.CheckConstraint(condition=Q(places__gte=1), name="offer_places_positive"),
        ]
        indexes = [
            models.Index(fields=["provider", "status"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["registration", "status"]),
        ]

    def __str__(self):
        return f"Offer {self.pk}: {self.registration_id} → {self.provider_id} ({self.status})"

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES


class UnplacedRegistration(models.Model):
    """A waiting registration a run left without a proposal, and why, in a coordinator's words.

    Kept beside the run rather than in the engine's PROPOSALS.json, whose format has no
    place for it. A newer run over the same registration replaces the row (only the
    latest answer is useful, and a province-wide waitlist would otherwise pile up).
    """

    match_run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="unplaced")
    registration = models.ForeignKey("patients.Registration", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)

    class Meta:
        app_label = "attachment"
        indexes = [models.Index(fields=["match_run", "id"]), models.Index(fields=["registration"])]

    def __str__(self):
        return f"Run {self.match_run_id}: {self.registration_id} not placed ({self.reason})"


class DeclinedPair(models.Model):
    """A registration and a provider that must never be proposed to each other again."""

    class By(models.TextChoices):
        CLINIC = "clinic", "The clinic"
        PATIENT = "patient", "The patient"
        COORDINATOR = "coordinator", "The coordinator"

    registration = models.ForeignKey("patients.Registration", on_delete=models.CASCADE, related_name="declined_pairs")
    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="declined_pairs")
    by = models.CharField(max_length=12, choices=By.choices)
    reason = models.CharField(max_length=300)
    at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        app_label = "attachment"
        constraints = [
            models.UniqueConstraint(fields=["registration", "provider"], name="declined_pair_unique"),
            models.CheckConstraint(condition=Q(by__in=["clinic", "patient", "coordinator"]), name="declined_pair_by_valid"),
        ]

    def __str__(self):
        return f"{self.registration_id} ✗ {self.provider_id} ({self.by})"
