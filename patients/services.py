"""Writes to the Health Connect Registry. Each function is one transaction."""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from attachment.core import audit, i18n
from attachment.core.errors import DomainError
from attachment.core.http import absolute_url
from patients import identity
from patients.models import (
    ContactNote,
    IdentityConflict,
    Patient,
    Registration,
    RegistrationStatusChange,
    new_reference_code,
)
from patients.priority import compute_priority, needs_for
from registries.models import Community
from registries.phn import normalize_phn, validate_phn

# Which moves the waitlist allows (DESIGN.md: waiting → offered → attached; any open
# state → withdrawn or ineligible; a declined or expired offer returns to waiting).
ALLOWED = {
    Registration.Status.WAITING: {"offered", "withdrawn", "ineligible", "attached"},
    Registration.Status.OFFERED: {"waiting", "attached", "withdrawn", "ineligible"},
    Registration.Status.ATTACHED: set(),
    Registration.Status.WITHDRAWN: {"waiting"},
    Registration.Status.INELIGIBLE: {"waiting"},
}


class InvalidTransition(DomainError):
    pass


@transaction.atomic
def set_status(registration: Registration, to_status: str, *, by=None, reason: str = "", actor=None) -> Registration:
    """Move a registration to `to_status`, keeping its history and the audit trail.

    Locks the row so that two people changing the same registration at once see each
    other's result instead of overwriting it.
    """
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    from_status = locked.status
    if to_status == from_status:
        return locked
    if to_status not in ALLOWED[from_status]:
        raise InvalidTransition(f"A registration that is {from_status} cannot become {to_status}.")
    locked.status = to_status
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at"])
    RegistrationStatusChange.objects.create(
        registration=locked, from_status=from_status, to_status=to_status, by=by, reason=reason[:300]
    )
    audit.record(
        user=by, action="status", obj=locked, actor=actor, reason=reason,
        summary=f"{from_status} → {to_status}", changes={"status": [from_status, to_status]},
    )
    registration.status, registration.status_changed_at = locked.status, locked.status_changed_at
    return locked


# --- registration -------------------------------------------------------------



log = logging.getLogger("attach.patients")

# Fields of a registration a coordinator may correct; each correction is audited with a diff.
HOUSEHOLD_FIELDS = [
    "address", "postal_code", "community_id", "phone", "email", "languages", "preferred_provider_gender",
    "priority_factors",
]
MEMBER_FIELDS = ["first_name", "last_name", "date_of_birth", "phn", "gender"]


class AlreadyRegistered(Exception):
    """One of the household's PHNs is already on an open registration."""

    def __init__(self, phns):
        self.phns = sorted(phns)
        super().__init__(f"Already on the waitlist: {', '.join(self.phns)}")


@dataclass
class Member:
    first_name: str
    last_name: str
    date_of_birth: datetime.date
    phn: str
    gender: str = ""


@dataclass
class Household:
    community: Community
    phone: str = ""
    email: str = ""
    address: str = ""
    postal_code: str = ""
    languages: list = field(default_factory=list)
    preferred_provider_gender: str = ""
    priority_factors: list = field(default_factory=list)
    language: str = ""  # the language of the page it registered on; "" for the default


def age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def derived_factors(factors, members, today=None) -> list[str]:
    """The reported factors plus those the dates of birth already tell (65+, a child under 2)."""
    today = today or timezone.localdate()
    out = list(dict.fromkeys(factors))
    ages = [age_on(m.date_of_birth, today) for m in members]
    if any(a >= 65 for a in ages) and "age_65_plus" not in out:
        out.append("age_65_plus")
    if any(a < 2 for a in ages) and "infant" not in out:
        out.append("infant")
    return out


def open_registration_phns(phns) -> set[str]:
    return set(
        Patient.objects.filter(phn__in=phns, registration__status__in=Registration.OPEN_STATUSES)
        .values_list("phn", flat=True)
    )


def register_household(
    household: Household, members: list[Member], *, source=Registration.Source.SELF, entered_by=None,
    submission_token=None, actor=None,
) -> tuple[Registration, bool]:
    """Put a household on the waitlist. Returns (registration, created).

    The same submission token twice (a double click, the back button) returns the first
    registration with created=False. A known PHN never changes the registry's record of that
    person: with other details, or already on an open registration, the registration is made and
    held for a coordinator (patients.identity), and the household is told nothing different.
    Only a coordinator entering a registration (source=STAFF) is told of an open duplicate
    (AlreadyRegistered, nothing saved).
    """
    if not members:
        raise ValueError("A registration needs at least one person.")
    for m in members:
        m.phn = normalize_phn(m.phn)
        validate_phn(m.phn)
    if submission_token:
        existing = Registration.objects.filter(submission_token=submission_token).first()
        if existing:
            return existing, False
    try:
        registration = _register(household, members, source, entered_by, submission_token, actor)
    except (IntegrityError, AlreadyRegistered) as exc:
        # The same form submitted twice at once: the first one in made the registration,
        # and this one's people now look "already registered". Same token, same answer.
        first = Registration.objects.filter(submission_token=submission_token).first() if submission_token else None
        if first is not None:
            return first, False
        if isinstance(exc, AlreadyRegistered):
            raise
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
        if "phn" not in constraint:
            raise
        if source == Registration.Source.STAFF:
            # A concurrent registration inserted one of these people first.
            raise AlreadyRegistered({m.phn for m in members}) from exc
        # The public form: once more, now that the person is known (held, as any duplicate is).
        registration = _register(household, members, source, entered_by, submission_token, actor)
    transaction.on_commit(lambda: send_confirmation(registration.pk))
    return registration, True


@transaction.atomic
def _register(household, members, source, entered_by, submission_token, actor):
    phns = sorted({m.phn for m in members})
    if len(phns) != len(members):
        raise ValueError("The same Personal Health Number appears twice in the household.")
    # Lock existing people (in PHN order, so two households sharing people cannot deadlock).
    known = {p.phn: p for p in Patient.objects.select_for_update().filter(phn__in=phns).order_by("phn")}
    taken = {phn for phn, p in known.items() if p.registration_id and p.registration.status in Registration.OPEN_STATUSES}
    if taken and source == Registration.Source.STAFF:
        raise AlreadyRegistered(taken)  # a coordinator may be told; the public form never is
    # A known person whose details differ, or who is already waiting elsewhere, is held for a
    # coordinator (patients.identity); the registry's record of them is not touched.
    held = {}
    for m in members:
        person = known.get(m.phn)
        if person is None:
            continue
        if m.phn in taken:
            held[m.phn] = IdentityConflict.Kind.DUPLICATE
        elif not identity.same_person(person, first_name=m.first_name.strip(), last_name=m.last_name.strip(),
                                      date_of_birth=m.date_of_birth):
            held[m.phn] = IdentityConflict.Kind.DETAILS

    now = timezone.now()
    factors = derived_factors(household.priority_factors, members)
    registration = Registration(
        source=source,
        community=household.community,
        division_id=household.community.division_id,
        address=household.address,
        postal_code=household.postal_code.upper().replace(" ", ""),
        phone=household.phone,
        email=household.email.strip().lower(),
        languages=list(household.languages),
        language=i18n.supported(household.language or settings.LANGUAGE_CODE),
        preferred_provider_gender=household.preferred_provider_gender,
        priority_factors=factors,
        needs=needs_for(factors),
        priority=compute_priority(factors).value,
        household_size=len(members),
        consent_at=now,
        registered_at=now,
        entered_by=entered_by if entered_by is not None and entered_by.is_authenticated else None,
        submission_token=submission_token,
    )
    _save_with_fresh_code(registration)
    for i, m in enumerate(members):
        first_name, last_name = m.first_name.strip(), m.last_name.strip()
        if m.phn in held:
            IdentityConflict.objects.create(
                registration=registration, patient=known[m.phn], kind=held[m.phn],
                claimed_first_name=first_name, claimed_last_name=last_name, claimed_date_of_birth=m.date_of_birth,
                claimed_gender=m.gender or "", claimed_primary_contact=i == 0,
            )
            continue
        person = known.get(m.phn)
        if person is None:
            person = Patient(phn=m.phn, first_name=first_name, last_name=last_name, date_of_birth=m.date_of_birth,
                             gender=m.gender, postal_code=registration.postal_code)
        # A known person with the same details joins the household as the registry knows them.
        person.registration, person.is_primary_contact = registration, i == 0
        person.save()
    RegistrationStatusChange.objects.create(
        registration=registration, from_status="", to_status=registration.status, by=registration.entered_by,
        reason="Registered online" if source == Registration.Source.SELF else "Entered by staff",
    )
    audit.record(
        user=entered_by, action="create", obj=registration, actor=actor,
        summary=f"Registration of a household of {len(members)} ({registration.get_source_display().lower()})"
        + (f"; held for a coordinator: {len(held)} known PHN(s) with other details or already waiting"
           if held else ""),
    )
    return registration


def _save_with_fresh_code(registration):
    # 25**8 codes make a clash very unlikely, not impossible: draw again rather than fail.
    for attempt in range(5):
        try:
            with transaction.atomic():
                registration.save()
            return
        except IntegrityError as exc:
            constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
            if "reference_code" not in constraint or attempt == 4:
                raise
            registration.pk = None
            registration.reference_code = new_reference_code()


def send_confirmation(registration_id: int) -> None:
    """Email the reference code. A mail failure must not undo a registration already made."""
    registration = Registration.objects.filter(pk=registration_id).first()
    if registration is None or not registration.email:
        return
    context = {"registration": registration, "status_url": absolute_url(reverse("patients:status"))}
    try:
        with i18n.for_registration(registration):
            subject = gettext("Health Connect Registry: your reference code %(code)s") % {
                "code": registration.reference_code}
            message = render_to_string("patients/email/confirmation.txt", context)
        send_mail(subject=subject, message=message, from_email=None, recipient_list=[registration.email])
    except Exception:
        log.exception("confirmation email for registration %s failed", registration_id)


# --- coordinators' changes ------------------------------------------------------

@transaction.atomic
def update_household(registration: Registration, *, household: dict, members: dict | None = None, by,
                     actor=None, reason: str = "") -> Registration:
    """Correct a registration's details (`household`: field → value) and its members'
    (`members`: patient id → {field: value}).

    Priority and needs are recomputed by the one rule. One audit event per changed
    record, carrying the field diffs; nothing is saved when a value is refused.
    """
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    people = {p.pk: p for p in Patient.objects.select_for_update().filter(registration=locked).order_by("pk")}
    members = members or {}
    if set(members) - set(people):
        raise ValueError("A member does not belong to this registration.")
    before = audit.snapshot(locked, HOUSEHOLD_FIELDS)
    people_before = {pk: audit.snapshot(p, MEMBER_FIELDS) for pk, p in people.items()}
    for name, value in household.items():
        if name not in HOUSEHOLD_FIELDS:
            raise ValueError(f"{name} cannot be changed here")
        setattr(locked, name, value)
    for pk, values in members.items():
        for name, value in values.items():
            if name not in MEMBER_FIELDS:
                raise ValueError(f"{name} cannot be changed here")
            setattr(people[pk], name, value)
        person = people[pk]
        person.phn = normalize_phn(person.phn)
        if person.phn != people_before[pk]["phn"]:
            validate_phn(person.phn)
            if Patient.objects.filter(phn=person.phn).exclude(pk=pk).exists():
                raise AlreadyRegistered({person.phn})
    locked.division_id = Community.objects.values_list("division_id", flat=True).get(pk=locked.community_id)
    locked.priority_factors = derived_factors(locked.priority_factors, list(people.values()))
    locked.needs = needs_for(locked.priority_factors)
    locked.priority = compute_priority(locked.priority_factors).value
    changes = audit.diff(locked, before, HOUSEHOLD_FIELDS)
    if changes:
        locked.save()
        audit.record(user=by, action="update", obj=locked, actor=actor, reason=reason,
                     summary="Corrected household details", changes=changes)
    for pk, person in people.items():
        person_changes = audit.diff(person, people_before[pk], MEMBER_FIELDS)
        if person_changes:
            person.save(update_fields=list(person_changes))
            audit.record(user=by, action="update", obj=person, actor=actor, reason=reason,
                         summary=f"Corrected a member of {locked.reference_code}", changes=person_changes)
    locked.refresh_from_db()
    return locked


@transaction.atomic
def override_priority(registration: Registration, *, value: int | None, reason: str, by, actor=None) -> Registration:
    """Set (or clear, with value=None) the coordinator's priority override; a reason is required."""
    reason = (reason or "").strip()
    if value is not None and not reason:
        raise ValueError("An override needs a reason.")
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    before = audit.snapshot(locked, ["priority_override", "priority_override_reason"])
    locked.priority_override = value
    locked.priority_override_reason = reason[:300] if value is not None else ""
    locked.save(update_fields=["priority_override", "priority_override_reason"])
    locked.refresh_from_db(fields=["effective_priority"])
    audit.record(
        user=by, action="update", obj=locked, actor=actor, reason=reason,
        summary="Priority override set" if value is not None else "Priority override removed",
        changes=audit.diff(locked, before, ["priority_override", "priority_override_reason"]),
    )
    return locked


WITHDRAW_REASONS = [
    ("no_longer_needed", "No longer needs a provider"),
    ("found_own_provider", "Found a provider on their own"),
    ("asked_to_be_removed", "Asked to be removed"),
    ("other", "Other"),
]
INELIGIBLE_REASONS = [
    ("moved_away", "Moved out of the province or region"),
    ("attached_elsewhere", "Already attached to a provider elsewhere"),
    ("deceased", "Deceased"),
    ("no_valid_coverage", "No valid MSP coverage"),
]


def withdraw(registration, *, reason: str, by, actor=None):
    if not (reason or "").strip():
        raise ValueError("A withdrawal needs a reason.")
    return set_status(registration, Registration.Status.WITHDRAWN, by=by, reason=reason, actor=actor)


def mark_ineligible(registration, *, reason: str, by, actor=None):
    if not (reason or "").strip():
        raise ValueError("Say why the registration is ineligible.")
    return set_status(registration, Registration.Status.INELIGIBLE, by=by, reason=reason, actor=actor)


@transaction.atomic
def add_contact_note(registration: Registration, *, kind: str, outcome: str, note: str = "", is_reminder=False,
                     by, actor=None) -> ContactNote:
    """Record a contact attempt; suspend after the set number of failures, lift it on success.

    A suspended registration keeps its registered_at, so it returns to the same place
    in the waitlist once the household is back in touch.
    """
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    contact = ContactNote.objects.create(
        registration=locked, kind=kind, outcome=outcome, note=note, is_reminder=is_reminder,
        by=by if by is not None and by.is_authenticated else None,
    )
    audit.record(user=by, action="create", obj=locked, actor=actor,
                 summary=f"Contact note: {contact.get_kind_display()}, {contact.get_outcome_display()}")
    now = timezone.now()
    fields = []
    if is_reminder:
        locked.last_reminder_at = now
        fields.append("last_reminder_at")
    if outcome in ContactNote.SUCCESSFUL and locked.suspended_at:
        audit.record(user=by, action="update", obj=locked, actor=actor, summary="Suspension lifted: back in touch",
                     changes={"suspended_at": [str(locked.suspended_at), None]})
        locked.suspended_at = None
        fields.append("suspended_at")
    elif outcome in ContactNote.UNSUCCESSFUL and not locked.suspended_at:
        failures = failed_attempts(locked)
        if failures >= settings.ATTACH_CONTACT_ATTEMPTS_BEFORE_SUSPEND:
            locked.suspended_at = now
            fields.append("suspended_at")
            audit.record(user=by, action="update", obj=locked, actor=actor,
                         summary=f"Suspended after {failures} unsuccessful contact attempts",
                         changes={"suspended_at": [None, str(now)]})
    if fields:
        locked.save(update_fields=fields)
    registration.suspended_at, registration.last_reminder_at = locked.suspended_at, locked.last_reminder_at
    return contact


def failed_attempts(registration) -> int:
    """Unsuccessful attempts since the household was last in touch."""
    last_ok = (
        ContactNote.objects.filter(registration=registration, outcome__in=ContactNote.SUCCESSFUL)
        .order_by("-at").values_list("at", flat=True).first()
    )
    qs = ContactNote.objects.filter(registration=registration, outcome__in=ContactNote.UNSUCCESSFUL)
    if last_ok:
        qs = qs.filter(at__gt=last_ok)
    return qs.count()


# --- reminders --------------------------------------------------------------------

def reminder_due_q(now=None) -> Q:
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.ATTACH_REMINDER_INTERVAL_DAYS)
    return Q(status=Registration.Status.WAITING) & Q(reminder_base__lte=cutoff)


def due_for_reminder(now=None):
    return Registration.objects.annotate(reminder_base=Coalesce("last_reminder_at", "registered_at")).filter(
        reminder_due_q(now)
    )


def _reminder(registration, now, status_url) -> EmailMessage:
    with i18n.for_registration(registration):  # each household in its own language
        return EmailMessage(
            subject=gettext("Health Connect Registry: you are still on the waitlist"),
            body=render_to_string("patients/email/reminder.txt",
                                  {"registration": registration, "now": now, "status_url": status_url}),
            to=[registration.email],
        )


def send_due_reminders(*, now=None, batch_size: int = 500) -> dict:
    """Email every waiting household with an email whose reminder interval has come round.

    Batches of rows are locked (SKIP LOCKED, so two runs at once split the work),
    emailed over one connection and stamped in the same transaction: a re-run the same
    day finds nothing due and sends nothing twice. Households without email are left
    for the coordinators' call list.
    """
    now = now or timezone.now()
    status_url = absolute_url(reverse("patients:status"))
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                due_for_reminder(now).exclude(email="")
                .select_for_update(skip_locked=True, of=("self",))
                .only("id", "reference_code", "email", "registered_at", "language")
                .order_by("reminder_base")[:batch_size]
            )
            if not batch:
                break
            messages = [_reminder(r, now, status_url) for r in batch]
            with get_connection() as connection:
                connection.send_messages(messages)
            ids = [r.pk for r in batch]
            Registration.objects.filter(pk__in=ids).update(last_reminder_at=now)
            ContactNote.objects.bulk_create(
                [ContactNote(registration_id=i, kind="email", outcome="sent", is_reminder=True,
                             note="Automatic reminder: still waiting; how to update details") for i in ids]
            )
            sent += len(ids)
    return {"emailed": sent, "to_call": due_for_reminder(now).filter(email="").count()}
