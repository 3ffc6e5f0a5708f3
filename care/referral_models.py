"""Referrals that close the loop: the kinds of referral (data, with the days each step is
expected to take) and each referral, shaped after FHIR's ServiceRequest (what is asked of
whom, why, how urgently) with its Task (status, business status, status reason).

The step a referral is at (`step`, FHIR Task.businessStatus) is the one stored state; the
FHIR Task.status and ServiceRequest.status follow from it (`fhir_task_status`,
`fhir_request_status`). Every step reached keeps its date, and the database refuses dates
out of order (seen before sent, a report before the visit) and a step without its date.
Moves are made by care.referrals (the state machine), never by saving a row here.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from care.referral_types import CATEGORIES


class ReferralType(models.Model):
    """A kind of referral (geriatric medicine, social prescribing, home support, ...) and the
    days each of its steps is expected to take; a referral stuck longer is overdue."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)
    category = models.CharField(max_length=30, choices=CATEGORIES)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    accept_days = models.PositiveSmallIntegerField("days to be accepted")
    book_days = models.PositiveSmallIntegerField("days from accepted to an appointment booked")
    seen_days = models.PositiveSmallIntegerField("days after the appointment to confirm it was seen")
    report_days = models.PositiveSmallIntegerField("days from seen to the report received")
    close_days = models.PositiveSmallIntegerField("days from the report to closing the loop")

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(category__in=[c for c, _ in CATEGORIES]),
                                   name="care_referral_type_category_valid"),
            models.CheckConstraint(
                condition=Q(accept_days__gte=1, book_days__gte=1, seen_days__gte=1, report_days__gte=1,
                            close_days__gte=1),
                name="care_referral_type_days_positive",
            ),
        ]

    def __str__(self):
        return self.name


class ReferralStep(models.TextChoices):
    """Where a referral is (FHIR Task.businessStatus)."""

    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    BOOKED = "booked", "Appointment booked"
    SEEN = "seen", "Seen"
    REPORT_RECEIVED = "report_received", "Report received"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


# The steps in which each date must be set: a step reached keeps its date.
_REACHED = {
    "accepted_on": ["accepted", "booked", "seen", "report_received", "closed"],
    "booked_on": ["booked", "seen", "report_received", "closed"],
    "appointment_on": ["booked", "seen", "report_received", "closed"],
    "seen_on": ["seen", "report_received", "closed"],
    "report_on": ["report_received", "closed"],
    "closed_on": ["closed"],
    "ended_on": ["rejected", "cancelled"],
}
_KEEPS_DATES = ["cancelled"]
OPEN_STEPS = ["requested", "accepted", "booked", "seen", "report_received"]
ENDED_STEPS = ["rejected", "cancelled"]


def _date_order(later, earlier):
    return Q(**{f"{later}__isnull": True}) | Q(**{f"{later}__gte": F(earlier)})


class Referral(models.Model):
    """One referral of a patient to a service, from the request to the loop closed."""

    Step = ReferralStep

    class Priority(models.TextChoices):  # FHIR ServiceRequest.priority (routine, urgent)
        ROUTINE = "routine", "Routine"
        URGENT = "urgent", "Urgent"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="care_referrals")
    # The PCN whose coordinator made it: whose worklist its chases go to, whose activity it counts in.
    pcn = models.ForeignKey("registries.PCN", on_delete=models.PROTECT, related_name="care_referrals")
    type = models.ForeignKey(ReferralType, on_delete=models.PROTECT, related_name="referrals")
    service = models.CharField("referred to", max_length=200)
    reason = models.CharField("reason for the referral", max_length=300)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    records_sent = models.BooleanField("records sent with the referral", default=False)
    step = models.CharField(max_length=20, choices=ReferralStep.choices, default=ReferralStep.REQUESTED)
    status_reason = models.CharField(max_length=300, blank=True)
    sent_on = models.DateField("sent on")
    accepted_on = models.DateField(null=True, blank=True)
    booked_on = models.DateField(null=True, blank=True)
    appointment_on = models.DateField("appointment date", null=True, blank=True)
    seen_on = models.DateField(null=True, blank=True)
    report_on = models.DateField("report received on", null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField("rejected or cancelled on", null=True, blank=True)
    # When the step it is at should be over (care.referrals.step_due): past it, the
    # referral is overdue and gets a chase task. None once it has ended.
    step_due_on = models.DateField(null=True, blank=True)
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(step__in=ReferralStep.values), name="care_referral_step_valid"),
            models.CheckConstraint(condition=Q(priority__in=["routine", "urgent"]),
                                   name="care_referral_priority_valid"),
            models.CheckConstraint(condition=~Q(reason="") & ~Q(service=""), name="care_referral_reason_given"),
            models.CheckConstraint(
                condition=(Q(step__in=ENDED_STEPS) & ~Q(status_reason="")) | (~Q(step__in=ENDED_STEPS)
                                                                            & Q(status_reason="")),
                name="care_referral_ended_has_reason",
            ),
            # A step reached has its date; a step not reached has none, except that a
            # cancelled referral keeps the dates of the steps it had reached.
            *[
                models.CheckConstraint(
                    condition=(Q(step__in=steps) & Q(**{f"{field}__isnull": False}))
                    | (~Q(step__in=[*steps, *_KEEPS_DATES]) & Q(**{f"{field}__isnull": True}))
                    | Q(step__in=_KEEPS_DATES),
                    name=f"care_referral_{field}_with_step",
                )
                for field, steps in _REACHED.items() if field != "ended_on"
            ],
            models.CheckConstraint(
                condition=(Q(step__in=ENDED_STEPS) & Q(ended_on__isnull=False))
                | (~Q(step__in=ENDED_STEPS) & Q(ended_on__isnull=True)),
                name="care_referral_ended_on_with_step",
            ),
            models.CheckConstraint(
                condition=_date_order("accepted_on", "sent_on") & _date_order("booked_on", "accepted_on")
                & _date_order("appointment_on", "booked_on") & _date_order("seen_on", "booked_on")
                & _date_order("report_on", "seen_on") & _date_order("closed_on", "report_on")
                & _date_order("ended_on", "sent_on"),
                name="care_referral_dates_in_order",
            ),
            models.CheckConstraint(
                condition=(Q(step__in=OPEN_STEPS) & Q(step_due_on__isnull=False))
                | (~Q(step__in=OPEN_STEPS) & Q(step_due_on__isnull=True)),
                name="care_referral_due_while_open",
            ),
        ]
        indexes = [
            models.Index(F("patient"), F("sent_on").desc(), name="care_referral_by_patient"),
            # Overdue referrals of a PCN, and the chase rule over the province.
            models.Index(fields=["pcn", "step_due_on"], condition=Q(step_due_on__isnull=False),
                         name="care_referral_open_due"),
            models.Index(fields=["step_due_on"], condition=Q(step_due_on__isnull=False),
                         name="care_referral_due_province"),
            # The activity report: a PCN's referrals sent in a period.
            models.Index(fields=["pcn", "sent_on"], name="care_referral_by_pcn_sent"),
        ]

    def __str__(self):
        return f"Referral {self.pk}: {self.type_id} ({self.step})"

    @property
    def is_open(self):
        return self.step in OPEN_STEPS

    @property
    def fhir_task_status(self) -> str:
        """FHIR Task.status for this step."""
        return {"requested": "requested", "accepted": "accepted", "closed": "completed", "rejected": "rejected",
                "cancelled": "cancelled"}.get(self.step, "in-progress")

    @property
    def fhir_request_status(self) -> str:
        """FHIR ServiceRequest.status: active until the loop closes (completed) or it ends (revoked)."""
        if self.step == "closed":
            return "completed"
        return "revoked" if self.step in ENDED_STEPS else "active"
