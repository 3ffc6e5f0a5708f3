"""Health Connect Registry: people and the waitlist of household registrations."""

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from registries.phn import validate_phn
from registries.vocab import GENDERS, PROVIDER_GENDERS

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: codes are read out over the phone and copied by hand.
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
REFERENCE_LENGTH = 8  # 25**8 ≈ 1.5e11 codes: unguessable at any rate the lookup allows


def new_reference_code() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


class Registration(models.Model):
    """One household's request for a provider: the unit that waits, is matched and attached."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered"
        ATTACHED = "attached", "Attached"
        WITHDRAWN = "withdrawn", "Withdrawn"
        INELIGIBLE = "ineligible", "Ineligible"

    OPEN_STATUSES = (Status.WAITING, Status.OFFERED)

    class Source(models.TextChoices):
        SELF = "self", "Self-registered online"
        STAFF = "staff", "Entered by staff"
        LOCAL_LIST = "local_list", "Merged from a local waitlist"

    reference_code = models.CharField(max_length=12, unique=True, default=new_reference_code, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.WAITING)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SELF)
    community = models.ForeignKey("registries.Community", on_delete=models.PROTECT, related_name="registrations")
    # Denormalised from community so the coordinators' waitlist filters on one indexed column.
    division = models.ForeignKey("registries.Division", on_delete=models.PROTECT, related_name="registrations")
    address = models.CharField(max_length=250, blank=True)
    postal_code = models.CharField(max_length=7, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    # The language the household registered in (one of settings.LANGUAGES): every later
    # email to it is written in this one (attachment.core.i18n.for_registration).
    language = models.CharField(max_length=10, default="en-ca", db_default="en-ca", blank=True)
    preferred_provider_gender = models.CharField(max_length=1, choices=PROVIDER_GENDERS, blank=True)
    priority_factors = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    needs = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    priority = models.SmallIntegerField(default=0, help_text="Computed from the factors by patients.priority")
    priority_override = models.SmallIntegerField(null=True, blank=True)
    priority_override_reason = models.CharField(max_length=300, blank=True)
    # The priority that ranks: the override when set, else the computed value.
    effective_priority = models.GeneratedField(
        expression=models.functions.Coalesce("priority_override", "priority"),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    household_size = models.PositiveSmallIntegerField(default=1)
    consent_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField(db_index=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    suspended_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the household could not be reached; keeps its place."
    )
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Guards a double submit of the public form: one token, one registration.
    submission_token = models.UUIDField(null=True, blank=True, unique=True)
    # Every member's name, upper-cased ("LOPEZ ANA | LOPEZ MIA"), so the waitlist's name
    # search is one trigram-indexed condition on the same rows as the division filter.
    # Kept by PostgreSQL (triggers in migration 0006) from patients_patient, whatever
    # writes the people (forms, COPY, raw SQL); the application never writes it.
    search_names = models.TextField(default="", db_default="", blank=True, editable=False)
    # The phone as digits only, computed by PostgreSQL, so "250 555-0199" and
    # "(250) 5550199" find the same household by one indexed equality.
    phone_digits = models.GeneratedField(
        expression=models.Func(
            models.F("phone"), models.Value("[^0-9]"), models.Value(""), models.Value("g"),
            function="regexp_replace",
        ),
        output_field=models.CharField(max_length=30),
        db_persist=True,
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "offered", "attached", "withdrawn", "ineligible"]),
                name="registration_status_valid",
            ),
            models.CheckConstraint(condition=Q(household_size__gte=1), name="registration_household_not_empty"),
            models.CheckConstraint(
                condition=Q(priority_override__isnull=True) | ~Q(priority_override_reason=""),
                name="priority_override_has_reason",
            ),
        ]
        indexes = [
            # The waitlist's default order within a division: priority, then longest wait.
            models.Index(
                "division", "status", models.F("effective_priority").desc(), "registered_at",
                name="waitlist_rank",
            ),
            models.Index(fields=["community", "status"]),
            GinIndex(fields=["priority_factors"], name="registration_factors_gin"),
            GinIndex(fields=["languages"], name="registration_languages_gin"),
            # The coordinators' default view is every open registration (waiting and
            # offered) of a division; a partial index serves it in rank order and in wait
            # order without sorting the division's whole list.
            models.Index(
                "division", models.F("effective_priority").desc(), "registered_at",
                condition=Q(status__in=["waiting", "offered"]), name="waitlist_open_rank",
            ),
            models.Index(
                "division", "registered_at",
                condition=Q(status__in=["waiting", "offered"]), name="waitlist_open_wait",
            ),
            models.Index(
                "community", models.F("effective_priority").desc(), "registered_at",
                condition=Q(status__in=["waiting", "offered"]), name="waitlist_open_community_rank",
            ),
            models.Index(
                "division", "registered_at",
                condition=Q(suspended_at__isnull=False), name="waitlist_suspended",
            ),
            models.Index(fields=["phone_digits"], name="registration_phone_digits"),
            GinIndex(OpClass("search_names", name="gin_trgm_ops"), name="registration_names_trgm"),
            # Reminders: open registrations whose last reminder (or registration) is oldest.
            models.Index(
                models.functions.Coalesce("last_reminder_at", "registered_at"), name="registration_reminder_due",
                condition=Q(status="waiting"),
            ),
        ]

    def __str__(self):
        return self.reference_code

    def save(self, *args, **kwargs):
        if self.community_id and not self.division_id:
            self.division_id = self.community.division_id
        super().save(*args, **kwargs)

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES


class Patient(models.Model):
    """A person, known by their PHN: on the waitlist through a registration, on a panel, or both."""

    # NULL only for a person merged from a local waitlist that had no valid PHN for them
    # (linkage): the coordinators collect it; every form and file that adds a person requires it.
    phn = models.CharField("Personal Health Number", max_length=10, unique=True, null=True, blank=True,
                           validators=[validate_phn])
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    gender = models.CharField(max_length=1, choices=GENDERS, blank=True)
    postal_code = models.CharField(max_length=7, blank=True)
    # Indexed by patient_registration_dob (registration first), which covers every lookup by registration.
    registration = models.ForeignKey(
        Registration, on_delete=models.SET_NULL, null=True, blank=True, related_name="members", db_index=False
    )
    is_primary_contact = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The PHN's format and check digit are one CHECK, patient_phn_check_digit (migration 0008).
        indexes = [
            # Only household members have a registration; the people panel uploads add (millions)
            # have none and stay out of this index.
            models.Index(
                fields=["registration", "date_of_birth"], name="patient_registration_dob",
                condition=Q(registration__isnull=False),
            ),
            # FHIR Patient?name= / family= / given= are case-insensitive prefix searches
            # (UPPER(col) LIKE 'ABC%'): btree on the upper-cased name with the pattern
            # operator class answers them whatever the collation, and costs a bulk panel
            # load far less than a trigram GIN (tests/bench/bench_panel_upload.py).
            models.Index(OpClass(Upper("last_name"), name="text_pattern_ops"), name="patient_last_name_prefix"),
            models.Index(OpClass(Upper("first_name"), name="text_pattern_ops"), name="patient_first_name_prefix"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class RegistrationStatusChange(models.Model):
    """The status history of a registration (who moved it, from what, to what, why)."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["registration", "at"])]


class ContactNote(models.Model):
    """One attempt to reach a household, or their getting in touch: kind, outcome, words.

    Unsuccessful attempts since the last successful contact are what suspend a
    registration (settings.ATTACH_CONTACT_ATTEMPTS_BEFORE_SUSPEND); a successful
    contact lifts the suspension.
    """

    class Kind(models.TextChoices):
        CALL = "call", "Phone call"
        EMAIL = "email", "Email"
        LETTER = "letter", "Letter"
        IN_PERSON = "in_person", "In person"

    class Outcome(models.TextChoices):
        REACHED = "reached", "Reached them"
        THEY_CONTACTED = "they_contacted", "They got in touch"
        NO_ANSWER = "no_answer", "No answer"
        LEFT_MESSAGE = "left_message", "Left a message, no reply"
        WRONG_NUMBER = "wrong_number", "Wrong or disconnected number"
        NO_REPLY = "no_reply", "Sent, no reply"
        BOUNCED = "bounced", "Returned / bounced"
        SENT = "sent", "Sent (reminder)"

    SUCCESSFUL = (Outcome.REACHED, Outcome.THEY_CONTACTED)
    UNSUCCESSFUL = (Outcome.NO_ANSWER, Outcome.LEFT_MESSAGE, Outcome.WRONG_NUMBER, Outcome.NO_REPLY, Outcome.BOUNCED)

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="contact_notes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    is_reminder = models.BooleanField(default=False, help_text="Made as the periodic 'still waiting' reminder")
    note = models.TextField(blank=True, max_length=2000)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["registration", "-at"], name="contact_note_by_registration")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["call", "email", "letter", "in_person"]), name="contact_note_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=[
                    "reached", "they_contacted", "no_answer", "left_message", "wrong_number", "no_reply",
                    "bounced", "sent",
                ]),
                name="contact_note_outcome_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.get_outcome_display()}"


class IdentityConflict(models.Model):
    """A registration that names a person the registry already knows, but not as the registry knows them.

    The registry's record is never changed from a public form (or a file): a PHN that comes with
    another name or date of birth, or that is already on another open registration, holds the
    registration here for a coordinator, and nobody is matched, offered or attached on it until
    they decide (patients.identity).
    """

    class Kind(models.TextChoices):
        DETAILS = "details", "Name or date of birth differ from the registry's"
        DUPLICATE = "duplicate", "Already on another open registration"

    class Resolution(models.TextChoices):
        SAME = "same", "Same person: the new details accepted"
        DIFFERENT = "different", "Not the same person: registration closed"

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="identity_conflicts")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="identity_conflicts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # What the form said, kept apart from the registry's record until a coordinator decides.
    claimed_first_name = models.CharField(max_length=100)
    claimed_last_name = models.CharField(max_length=100)
    claimed_date_of_birth = models.DateField()
    claimed_gender = models.CharField(max_length=1, choices=GENDERS, blank=True)
    claimed_primary_contact = models.BooleanField(default=False)
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
            models.UniqueConstraint(fields=["registration", "patient"], name="one_identity_conflict_per_member"),
            models.CheckConstraint(condition=Q(kind__in=["details", "duplicate"]), name="identity_conflict_kind_valid"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution="")
                | (Q(resolved_at__isnull=False) & Q(resolution__in=["same", "different"])),
                name="identity_conflict_resolution_consistent",
            ),
        ]
        indexes = [
            # Matching, offers and attachment ask "is this registration held?": an open conflict of it.
            models.Index(fields=["registration"], condition=Q(resolved_at__isnull=True), name="open_identity_conflict"),
        ]

    def __str__(self):
        return f"{self.registration_id}: {self.get_kind_display()}"


# --- self-service (patients.otp, patients.selfservice) -------------------------------------


class OneTimeCode(models.Model):
    """A code sent to the contact on file, which opens the household's self-service page.

    Made when a household proves its reference code and a date of birth; the code itself is
    drawn by the task that sends it (so it never crosses the broker) and stored only as a
    keyed hash. Valid for ATTACH_OTP_MINUTES, used once, and refused after ATTACH_OTP_ATTEMPTS
    wrong tries (patients.otp).
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="one_time_codes")
    # The browser's ticket (a random token kept in its session), hashed: which code it may try.
    ticket_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    code_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=["email", "sms"]), name="one_time_code_channel_valid"),
            # A code is sent before it can expire or be used.
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True, expires_at__isnull=True, used_at__isnull=True, code_hash="")
                | (Q(sent_at__isnull=False) & Q(expires_at__isnull=False) & ~Q(code_hash="")),
                name="one_time_code_sent_before_use",
            ),
        ]
        indexes = [models.Index(fields=["registration", "-created_at"], name="one_time_code_by_registration")]


class SelfServiceChange(models.Model):
    """What a household changed on its own page, for its coordinator: what, when, before and after.

    The audit trail holds the same event (as the registrant's); this is the coordinator's
    readable list on the registration page, kept with the registration.
    """

    class Kind(models.TextChoices):
        CONTACT = "contact", "Contact details"
        MEMBER_ADDED = "member_added", "Household member added"
        MEMBER_REMOVED = "member_removed", "Household member removed"
        NEEDS = "needs", "Health needs"
        LEFT = "left", "Left the waitlist"

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="self_service_changes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["registration", "-at"], name="self_service_change_by_reg")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["contact", "member_added", "member_removed", "needs", "left"]),
                name="self_service_change_kind_valid",
            ),
        ]
