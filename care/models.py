"""Care coordination: programmes, enrolments and their need level, contacts, care plans, tasks,
and what the provider records for the risk score (CareProfile).

A patient's care record is reachable only while they are in scope (`access.care_patients`):
on an open panel in the coordinator's PCNs, or of a provider the user acts for. Rows are
never deleted by the application: a discharge, a done task, a new plan version each keep
what came before.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from care.risk import CATEGORY_LABELS, EFI_DEFICITS, PMCA_BODY_SYSTEMS

NEED_LEVELS = [
    (1, "1 · Low: occasional check-ins"),
    (2, "2 · Moderate: regular contact"),
    (3, "3 · High: frequent contact, several services"),
    (4, "4 · Intensive: unstable, needs close follow-up"),
]
MAX_CONTACT_MINUTES = 600


class Programme(models.Model):
    """A care coordination programme (frailty, long-term conditions, ...): kept in data, by migration."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Enrolment(models.Model):
    """A patient in a programme, from enrolment to discharge, with the need level it has now."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="care_enrolments")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="enrolments")
    # The PCN whose coordinator enrolled the patient: whose caseload and activity it counts in.
    pcn = models.ForeignKey("registries.PCN", on_delete=models.PROTECT, related_name="care_enrolments")
    reason = models.CharField(max_length=300)
    need_level = models.PositiveSmallIntegerField(choices=NEED_LEVELS)
    enrolled_at = models.DateTimeField()
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    discharge_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "programme"], condition=Q(discharged_at__isnull=True),
                name="care_one_open_enrolment_per_programme",
            ),
            models.CheckConstraint(condition=Q(need_level__gte=1, need_level__lte=4), name="care_need_level_1_to_4"),
            models.CheckConstraint(condition=~Q(reason=""), name="care_enrolment_has_reason"),
            models.CheckConstraint(
                condition=(Q(discharged_at__isnull=True) & Q(discharge_reason=""))
                | (Q(discharged_at__isnull=False) & ~Q(discharge_reason="") & Q(discharged_at__gte=F("enrolled_at"))),
                name="care_discharge_consistent",
            ),
        ]
        indexes = [
            # A PCN's open caseload, highest need first.
            models.Index(F("pcn"), F("need_level").desc(), condition=Q(discharged_at__isnull=True),
                         name="care_open_caseload"),
            models.Index(fields=["patient"], name="care_enrolment_by_patient"),
        ]

    def __str__(self):
        return f"{self.patient_id} in {self.programme_id}"

    @property
    def is_open(self):
        return self.discharged_at is None


class NeedLevelChange(models.Model):
    """The history of an enrolment's need level: the first level set at enrolment, then each move."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="need_history")
    from_level = models.PositiveSmallIntegerField(null=True, blank=True)
    to_level = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["enrolment", "at"], name="care_need_history")]
        constraints = [
            models.CheckConstraint(condition=Q(to_level__gte=1, to_level__lte=4), name="care_need_change_to_valid"),
            models.CheckConstraint(
                condition=Q(from_level__isnull=True) | (Q(from_level__gte=1, from_level__lte=4) & ~Q(from_level=F("to_level"))),
                name="care_need_change_from_valid",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="care_need_change_has_reason"),
        ]


class ContactChannel(models.TextChoices):
    PHONE = "phone", "Phone call"
    VIDEO = "video", "Video call"
    IN_PERSON = "in_person", "In person at the clinic"
    HOME_VISIT = "home_visit", "Home visit"
    MESSAGE = "message", "Text or secure message"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    CASE_DISCUSSION = "case_discussion", "Case discussion"


class ContactWith(models.TextChoices):
    PATIENT = "patient", "The patient"
    CARER = "carer", "A carer"
    FAMILY = "family", "Family"
    PROFESSIONAL = "professional", "Another professional"


class ContactOutcome(models.TextChoices):
    REACHED = "reached", "Reached, spoke with them"
    NO_ANSWER = "no_answer", "No answer"
    LEFT_MESSAGE = "left_message", "Left a message"
    SENT = "sent", "Sent"
    COMPLETED = "completed", "Completed (visit, discussion)"


class ContactCategory(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment of needs"
    CARE_PLANNING = "care_planning", "Care and support planning"
    NAVIGATION = "navigation", "Navigation and appointments"
    REFERRAL = "referral", "Referral"
    TRANSITION = "transition", "Hospital transition and follow-up"
    MEDICATION = "medication", "Medication support"
    EDUCATION = "education", "Education and self-management"
    EMOTIONAL = "emotional", "Emotional and carer support"
    SOCIAL = "social", "Social and financial support"
    ADMIN = "admin", "Records and administration"


class Contact(models.Model):
    """One call, visit, message, letter or case discussion about a patient."""

    Channel = ContactChannel
    With = ContactWith
    Outcome = ContactOutcome
    Category = ContactCategory

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="care_contacts")
    pcn = models.ForeignKey("registries.PCN", on_delete=models.PROTECT, related_name="care_contacts", null=True, blank=True)
    contacted_on = models.DateField()
    channel = models.CharField(max_length=20, choices=Channel.choices)
    contacted = models.CharField("who was contacted", max_length=20, choices=With.choices)
    minutes = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    category = models.CharField("activity category", max_length=20, choices=Category.choices)
    note = models.TextField(max_length=4000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-contacted_on", "-id"]
        indexes = [models.Index(F("patient"), F("contacted_on").desc(), name="care_contact_by_patient")]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0, minutes__lt=MAX_CONTACT_MINUTES),
                                   name="care_contact_minutes_sensible"),
            models.CheckConstraint(condition=Q(channel__in=ContactChannel.values), name="care_contact_channel_valid"),
            models.CheckConstraint(condition=Q(contacted__in=ContactWith.values), name="care_contact_with_valid"),
            models.CheckConstraint(condition=Q(outcome__in=ContactOutcome.values), name="care_contact_outcome_valid"),
            models.CheckConstraint(condition=Q(category__in=ContactCategory.values),
                                   name="care_contact_category_valid"),
        ]


class CarePlan(models.Model):
    """A patient's one personalised care and support plan; its content is in its versions."""

    patient = models.OneToOneField("patients.Patient", on_delete=models.PROTECT, related_name="care_plan")
    created_at = models.DateTimeField()
    latest_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"Care plan of {self.patient_id}"


GOAL_STATUSES = [
    ("not_started", "Not started"),
    ("in_progress", "In progress"),
    ("achieved", "Achieved"),
    ("not_achieved", "Not achieved"),
]
ACTION_WHO = [
    ("patient", "The patient"),
    ("carer", "A carer"),
    ("coordinator", "Care coordinator"),
    ("provider", "The provider"),
    ("service", "Another service"),
]
ACTION_STATUSES = [("to_do", "To do"), ("done", "Done"), ("cancelled", "Cancelled")]


class CarePlanVersion(models.Model):
    """One saved version of a care plan, kept whole: what matters, goals, actions, carers, review date.

    Goals, actions and carers are JSON lists (their shape checked by `care.services`; the
    database holds that each is a list): a version is read and compared whole, never queried
    by a goal.
        goals:   [{"text", "target_date" (ISO date or ""), "status"}]
        actions: [{"text", "who", "due" (ISO date or ""), "status"}]
        carers:  [{"name", "relationship", "phone", "email"}]
    """

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    what_matters = models.TextField(max_length=4000)
    goals = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, blank=True)
    carers = models.JSONField(default=list, blank=True)
    review_date = models.DateField()
    saved_at = models.DateTimeField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="care_plan_version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="care_plan_version_number_positive"),
            models.CheckConstraint(condition=~Q(what_matters=""), name="care_plan_what_matters_given"),
            models.CheckConstraint(
                condition=models.lookups.Exact(models.Func(F("goals"), function="jsonb_typeof"), "array")
                & models.lookups.Exact(models.Func(F("actions"), function="jsonb_typeof"), "array")
                & models.lookups.Exact(models.Func(F("carers"), function="jsonb_typeof"), "array"),
                name="care_plan_lists_are_lists",
            ),
        ]


TASK_KINDS = ["call", "plan_review", "follow_up", "referral_chase", "hospital_call", "discharge_call",
              "discharge_appt", "get_summary", "read_summary", "pvp_reminder", "mdt_action", "transition", "other"]
# The kinds a person gives a task they add by hand; the others are made by the rules (care.generator)
# or by a step (an MDT action), which say whose they are.
MANUAL_TASK_KINDS = ["call", "plan_review", "follow_up", "other"]


class Task(models.Model):
    """Something to do for a patient (or for the PCN), due on a date, for a person or the PCN's queue.

    `rule_key` names the rule and occasion that made a task (e.g. "plan-review:42"), so that
    making it again while it is open changes nothing: one open task per key, in the database.
    """

    class Kind(models.TextChoices):
        CALL = "call", "Call"
        PLAN_REVIEW = "plan_review", "Care plan review"
        FOLLOW_UP = "follow_up", "Follow-up"
        REFERRAL_CHASE = "referral_chase", "Referral chase"
        # Hospital stays and transitions, pre-visit planning, MDT meetings (care.hospital, care.pvp, care.mdt).
        HOSPITAL_CALL = "hospital_call", "Call to the family (in hospital)"
        DISCHARGE_CALL = "discharge_call", "Discharge follow-up call"
        DISCHARGE_APPOINTMENT = "discharge_appt", "Arrange the follow-up appointment"
        GET_SUMMARY = "get_summary", "Get the discharge summary"
        READ_SUMMARY = "read_summary", "Read the discharge summary"
        PVP_REMINDER = "pvp_reminder", "Pre-visit planning reminder"
        MDT_ACTION = "mdt_action", "MDT meeting action"
        # Growing up: from paediatric to adult care (care.generator.transitions).
        TRANSITION = "transition", "Transition to adult care"
        OTHER = "other", "Other"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="care_tasks", null=True, blank=True
    )
    pcn = models.ForeignKey("registries.PCN", on_delete=models.PROTECT, related_name="care_tasks")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    due_on = models.DateField()
    # None: the PCN's team queue, for whoever takes it.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="care_tasks"
    )
    rule_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # A task for the patient's provider (and their delegates), e.g. reading a discharge summary;
    # None: a care coordinator's task. A rule's task closed because it no longer applies has
    # done_at set and done_by None (the generator's audit event says which and why).
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="care_tasks")

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_key"], condition=Q(done_at__isnull=True) & ~Q(rule_key=""),
                name="care_one_open_task_per_rule_key",
            ),
            models.CheckConstraint(condition=Q(kind__in=TASK_KINDS), name="care_task_kind_valid"),
            models.CheckConstraint(condition=~Q(title=""), name="care_task_has_title"),
        ]
        indexes = [
            # The worklist: open tasks of a PCN by due date (with the patient, so that the
            # worklist's sort and scope read only this index, not the task rows), and of a patient.
            models.Index(fields=["pcn", "due_on"], include=["id", "patient", "assigned_to", "provider"], condition=Q(done_at__isnull=True),
                         name="care_open_tasks_by_pcn_cover"),
            models.Index(fields=["patient", "due_on"], condition=Q(done_at__isnull=True), name="care_open_tasks_by_patient"),
            # The generator's "was this task ever made?" (done ones included), by key.
            models.Index(fields=["rule_key"], condition=~Q(rule_key=""), name="care_task_by_rule_key"),
            models.Index(fields=["provider", "due_on"], condition=Q(done_at__isnull=True, provider__isnull=False),
                         name="care_open_tasks_by_provider"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.done_at is None


RISK_CATEGORIES = [(code, label) for code, label in CATEGORY_LABELS.items()]


class CareProfile(models.Model):
    """What the patient's provider (or a delegate) records: diagnoses, frailty deficits, body
    systems, complexity score, and whether visits need pre-visit planning.

    `risk_category` is the risk rule's answer for these facts (care.risk), kept with them by
    the service that saves them, so the caseload can filter on it in SQL; the page shows it
    recomputed, with its reasons.
    """

    patient = models.OneToOneField("patients.Patient", on_delete=models.PROTECT, related_name="care_profile")
    diagnoses = models.TextField(max_length=4000, blank=True)
    deficits = ArrayField(models.CharField(max_length=30, choices=EFI_DEFICITS), default=list, blank=True)
    body_systems = ArrayField(models.CharField(max_length=30, choices=PMCA_BODY_SYSTEMS), default=list, blank=True)
    progressive = models.BooleanField("a progressive condition", default=False)
    technology_dependent = models.BooleanField("dependent on technology for 6 months or more", default=False)
    malignancy = models.BooleanField("a malignancy", default=False)
    complexity_score = models.PositiveSmallIntegerField(null=True, blank=True)
    needs_pvp = models.BooleanField("visits need pre-visit planning", default=False)
    risk_category = models.CharField(max_length=24, choices=RISK_CATEGORIES, default="unknown")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(complexity_score__isnull=True) | Q(complexity_score__gte=1, complexity_score__lte=5),
                name="care_complexity_score_1_to_5",
            ),
            models.CheckConstraint(condition=Q(risk_category__in=list(CATEGORY_LABELS)), name="care_risk_category_valid"),
        ]


# --- hospital stays and transitions (care.hospital) ------------------------------------------------


class HospitalStay(models.Model):
    """A patient's stay in hospital, from admission to discharge, then closed once the
    transition home is followed up. While it is open the task rules (care.generator) keep its
    calls, follow-ups and the summary tasks on the worklist; closing it closes them."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="hospital_stays")
    # The PCN whose coordinator follows the stay: where its tasks go.
    pcn = models.ForeignKey("registries.PCN", on_delete=models.PROTECT, related_name="hospital_stays")
    hospital = models.CharField(max_length=200)
    admitted_on = models.DateField()
    reason = models.CharField("why", max_length=300)
    discharged_on = models.DateField(null=True, blank=True)
    summary_received = models.BooleanField("discharge summary received", default=False)
    summary_received_on = models.DateField(null=True, blank=True)
    discharge_note = models.CharField(max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    recorded_at = models.DateTimeField()
    discharged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")

    class Meta:
        ordering = ["-admitted_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patient"], condition=Q(closed_at__isnull=True),
                                    name="care_one_open_stay_per_patient"),
            models.CheckConstraint(condition=Q(discharged_on__isnull=True) | Q(discharged_on__gte=F("admitted_on")),
                                   name="care_stay_discharge_after_admission"),
            models.CheckConstraint(condition=~Q(hospital="") & ~Q(reason=""), name="care_stay_where_and_why"),
            models.CheckConstraint(
                condition=Q(summary_received=False, summary_received_on__isnull=True)
                | Q(summary_received=True, summary_received_on__isnull=False),
                name="care_stay_summary_dated"),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, close_reason="") | (Q(closed_at__isnull=False) & ~Q(close_reason="")),
                name="care_stay_close_has_reason"),
        ]
        indexes = [
            # The task rules: the open stays of the province, in hospital or discharged.
            models.Index(fields=["discharged_on"], condition=Q(closed_at__isnull=True), name="care_open_stays"),
            models.Index(fields=["patient", "admitted_on"], name="care_stays_by_patient"),
        ]

    def __str__(self):
        return f"{self.hospital}, {self.admitted_on:%Y-%m-%d}"

    @property
    def in_hospital(self):
        return self.discharged_on is None and self.closed_at is None


# --- pre-visit planning (care.pvp) ---------------------------------------------------------------

PVP_ITEMS = [
    ("pvp_call", "PVP call to the patient or parent"),
    ("labs", "Lab results gathered"),
    ("discharge_summaries", "Discharge summaries gathered"),
    ("specialist_letters", "Specialist letters gathered"),
    ("family_concerns", "The family's latest concerns"),
    ("health_maintenance", "Health maintenance due (immunizations, screening)"),
]


class PlannedVisit(models.Model):
    """An upcoming visit with the patient's provider that is prepared ahead (pre-visit planning).

    `checklist` holds each PVP item's state: {code: {"done": bool, "note": str, "by": str, "at": ISO}}
    for the codes of PVP_ITEMS; what was done is also kept, dated, in the PVP log."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="planned_visits")
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="planned_visits")
    pcn = models.ForeignKey("registries.PCN", on_delete=models.PROTECT, related_name="planned_visits")
    visit_on = models.DateField()
    purpose = models.CharField(max_length=200, blank=True)
    checklist = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["visit_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "visit_on"], condition=Q(cancelled_at__isnull=True),
                                    name="care_one_planned_visit_per_day"),
            models.CheckConstraint(
                condition=models.lookups.Exact(models.Func(F("checklist"), function="jsonb_typeof"), "object"),
                name="care_pvp_checklist_is_object"),
        ]
        indexes = [
            models.Index(fields=["visit_on"], condition=Q(cancelled_at__isnull=True), name="care_upcoming_visits"),
            models.Index(fields=["provider", "visit_on"], name="care_visits_by_provider"),
        ]

    def __str__(self):
        return f"Visit of {self.patient_id} on {self.visit_on:%Y-%m-%d}"

    def item(self, code) -> dict:
        return self.checklist.get(code) or {"done": False, "note": ""}

    @property
    def items_done(self) -> int:
        return sum(1 for code, _ in PVP_ITEMS if self.item(code).get("done"))


class PvpLogEntry(models.Model):
    """The PVP log: each step of preparing a visit, dated, with who did it and the minutes spent."""

    visit = models.ForeignKey(PlannedVisit, on_delete=models.CASCADE, related_name="log")
    item = models.CharField(max_length=30, choices=PVP_ITEMS + [("note", "Note")])
    text = models.CharField(max_length=1000)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(item__in=[c for c, _ in PVP_ITEMS] + ["note"]), name="care_pvp_log_item_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="care_pvp_log_has_text"),
        ]


# --- MDT meetings (care.mdt) ------------------------------------------------------------------


class MdtMeeting(models.Model):
    """A multidisciplinary team meeting of a PCN: its agenda of caseload patients, who came,
    and per patient the outcome and the actions (which become tasks)."""

    pcn = models.ForeignKey("registries.PCN", on_delete=models.PROTECT, related_name="mdt_meetings")
    title = models.CharField(max_length=200)
    meets_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    # Who came: one a line ("Dr. Sandhu, family physician"); members of other services attend too.
    attendees = models.TextField(max_length=4000, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-meets_at", "-id"]
        indexes = [models.Index(fields=["pcn", "meets_at"], name="care_mdt_by_pcn")]
        constraints = [models.CheckConstraint(condition=~Q(title=""), name="care_mdt_has_title")]

    def __str__(self):
        return f"{self.title} ({self.meets_at:%Y-%m-%d})"


class MdtAgendaItem(models.Model):
    meeting = models.ForeignKey(MdtMeeting, on_delete=models.CASCADE, related_name="items")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="mdt_items")
    position = models.PositiveSmallIntegerField()
    reason = models.CharField("why they are discussed", max_length=300)
    outcome = models.TextField(max_length=4000, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "patient"], name="care_mdt_patient_once"),
            models.CheckConstraint(condition=~Q(reason=""), name="care_mdt_item_has_reason"),
        ]


# Referrals live in their own module; imported here so Django registers them with the app.
from care.activity_models import ContactMonth, LastContact, PersonMonth  # noqa: E402,F401
from care.referral_models import Referral, ReferralStep, ReferralType  # noqa: E402,F401
