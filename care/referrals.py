"""Referrals that close the loop: making one, moving it through its steps, and chasing the
ones stuck at a step past their type's expected days.

The state machine (TRANSITIONS) is the only way a referral changes step:

    requested → accepted → booked → seen → report_received → closed
        ↘ rejected (from requested only)     ↘ cancelled (from any open step but the last)

Each move is dated; a date before the step it follows (seen before it was booked, a
report before the visit), in the future, or before the referral was sent is refused with
an error on its field and nothing is saved. A move the machine does not allow raises
`InvalidReferralTransition`. Every change is one transaction, audited in it.

Overdue: each open step has a due date (`step_due`: the step's date plus the type's
days; for a booked appointment, the appointment date plus the days to confirm it was
seen), kept on the row as `step_due_on`. Past it, the task generator's rule
`chase_overdue` makes a chase task, keyed `referral-chase:<referral>:<step>` so it is
made once per step, and closes chases whose referral has moved on; both set-based.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from attachment.core import access, audit
from care.referral_models import ENDED_STEPS, OPEN_STEPS, Referral, ReferralStep, ReferralType
from care.services import CareError, _pcn_for, _user

S = ReferralStep
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.REQUESTED: (S.ACCEPTED, S.REJECTED, S.CANCELLED),
    S.ACCEPTED: (S.BOOKED, S.CANCELLED),
    S.BOOKED: (S.SEEN, S.CANCELLED),
    S.SEEN: (S.REPORT_RECEIVED, S.CANCELLED),
    S.REPORT_RECEIVED: (S.CLOSED,),
    S.CLOSED: (),
    S.REJECTED: (),
    S.CANCELLED: (),
}
# The date column each step records.
STEP_DATE = {S.REQUESTED: "sent_on", S.ACCEPTED: "accepted_on", S.BOOKED: "booked_on", S.SEEN: "seen_on",
             S.REPORT_RECEIVED: "report_on", S.CLOSED: "closed_on", S.REJECTED: "ended_on",
             S.CANCELLED: "ended_on"}
# What a referral stuck at a step is waiting for (the chase task's words).
WAITING_FOR = {S.REQUESTED: "no answer from the service yet", S.ACCEPTED: "no appointment booked yet",
               S.BOOKED: "not confirmed as seen", S.SEEN: "no report received yet",
               S.REPORT_RECEIVED: "the loop is not closed yet"}
# A chase marked done while the referral is still stuck comes back after this many days.
RECHASE_DAYS = 7
# A referral sent longer ago than this is more likely a mistyped year.
MAX_AGE_DAYS = 366
MAX_APPOINTMENT_AHEAD_DAYS = 730


class ReferralError(CareError):
    """A referral that cannot be made or moved as asked, with the field it is about."""


class InvalidReferralTransition(ReferralError):
    """A move the referral state machine does not allow (e.g. closed → seen)."""


# --- the rule of when a step is overdue (pure) ---------------------------------------------


@dataclass(frozen=True)
class StepDays:
    accept: int
    book: int
    seen: int
    report: int
    close: int

    @classmethod
    def of(cls, t: ReferralType) -> StepDays:
        return cls(t.accept_days, t.book_days, t.seen_days, t.report_days, t.close_days)


def step_due(step: str, entered_on: datetime.date, days: StepDays, appointment_on: datetime.date | None = None):
    """When the step a referral is at should be over; None for a referral that has ended.

    Waiting to be seen is measured from the appointment date, not the booking: an
    appointment booked four months out is not overdue until it has passed."""
    if step not in OPEN_STEPS:
        return None
    if step == S.BOOKED:
        return (appointment_on or entered_on) + datetime.timedelta(days=days.seen)
    n = {S.REQUESTED: days.accept, S.ACCEPTED: days.book, S.SEEN: days.report, S.REPORT_RECEIVED: days.close}[step]
    return entered_on + datetime.timedelta(days=n)


def is_overdue(referral: Referral, today: datetime.date) -> bool:
    return referral.step_due_on is not None and referral.step_due_on < today


def days_overdue(referral: Referral, today: datetime.date) -> int:
    return (today - referral.step_due_on).days if is_overdue(referral, today) else 0


def chase_key(referral_id: int, step: str) -> str:
    return f"referral-chase:{referral_id}:{step}"


# --- changes ------------------------------------------------------------------------------------


def _date(value, field, label, errors, *, today, not_before=None, not_before_label=""):
    if not isinstance(value, datetime.date):
        errors[field] = f"Give the date {label}."
        return None
    if value > today:
        errors[field] = f"The date {label} cannot be in the future."
    elif not_before is not None and value < not_before:
        errors[field] = f"The date {label} ({value:%Y-%m-%d}) is before {not_before_label} ({not_before:%Y-%m-%d})."
    return value


@transaction.atomic
def make_referral(patient, *, type: ReferralType, service: str, reason: str, sent_on, priority="routine",
                  records_sent=False, actor, today=None, now=None) -> Referral:
    """Record a referral sent (or about to be sent) to a service, at its first step: requested."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    errors = {}
    if type is None or not type.active:
        errors["type"] = "Choose a kind of referral that is in use."
    service = (service or "").strip()
    if not service:
        errors["service"] = "Say who the referral is to (the service, clinic or person)."
    elif len(service) > 200:
        errors["service"] = "Keep it under 200 characters."
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Give the reason for the referral."
    elif len(reason) > 300:
        errors["reason"] = "Keep it under 300 characters."
    if priority not in Referral.Priority.values:
        errors["priority"] = "Choose routine or urgent."
    _date(sent_on, "sent_on", "the referral was sent", errors, today=today,
          not_before=max(patient.date_of_birth, today - datetime.timedelta(days=MAX_AGE_DAYS)),
          not_before_label="the patient's birth or a year ago")
    if errors:
        raise ReferralError(errors)
    pcn = _pcn_for(patient, actor)
    if pcn is None:
        raise ReferralError("The patient is not on the panel of a provider at a clinic in a PCN.")
    referral = Referral.objects.create(
        patient=patient, pcn=pcn, type=type, service=service, reason=reason, priority=priority,
        records_sent=bool(records_sent), sent_on=sent_on, step=S.REQUESTED,
        step_due_on=step_due(S.REQUESTED, sent_on, StepDays.of(type)),
        referred_by=_user(actor), created_at=now, updated_at=now,
    )
    audit.record(action="create", obj=referral, actor=actor,
                 summary=f"Referral of patient {patient.pk} to {service} ({type.name})", reason=reason)
    return referral


def allowed_moves(referral: Referral) -> tuple[str, ...]:
    return TRANSITIONS[referral.step]


def _last_date(referral: Referral) -> tuple[datetime.date, str]:
    """The date of the step the referral is at, and its words, for 'before ...' errors."""
    words = {S.REQUESTED: "the referral was sent", S.ACCEPTED: "it was accepted", S.BOOKED: "it was booked",
             S.SEEN: "the patient was seen", S.REPORT_RECEIVED: "the report was received"}
    return getattr(referral, STEP_DATE[referral.step]), words.get(referral.step, "")


@transaction.atomic
def move(referral: Referral, to_step: str, *, on, actor, appointment_on=None, reason: str = "",
         records_sent=None, today=None, now=None) -> Referral:
    """Move a referral to its next step, dated `on`. Booking takes the appointment date;
    rejecting and cancelling take a reason (FHIR Task.statusReason)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    referral = Referral.objects.select_for_update().select_related("type").get(pk=referral.pk)
    from_step = referral.step
    if to_step not in TRANSITIONS.get(from_step, ()):
        raise InvalidReferralTransition(
            f"A referral that is {S(from_step).label.lower()} cannot become "
            f"{S(to_step).label.lower() if to_step in S.values else repr(to_step)}.")
    errors = {}
    since, since_words = _last_date(referral)
    words = {S.ACCEPTED: "it was accepted", S.BOOKED: "the appointment was booked", S.SEEN: "the patient was seen",
             S.REPORT_RECEIVED: "the report was received", S.CLOSED: "the loop was closed",
             S.REJECTED: "it was rejected", S.CANCELLED: "it was cancelled"}[to_step]
    _date(on, "on", words, errors, today=today, not_before=since, not_before_label=since_words)
    if to_step == S.BOOKED:
        if not isinstance(appointment_on, datetime.date):
            errors["appointment_on"] = "Give the date of the appointment."
        elif isinstance(on, datetime.date) and appointment_on < on:
            errors["appointment_on"] = (f"The appointment ({appointment_on:%Y-%m-%d}) is before it was booked "
                                        f"({on:%Y-%m-%d}).")
        elif (appointment_on - today).days > MAX_APPOINTMENT_AHEAD_DAYS:
            errors["appointment_on"] = "The appointment is more than two years ahead: check the year."
    reason = (reason or "").strip()
    if to_step in ENDED_STEPS:
        if not reason:
            errors["reason"] = f"Give the reason it was {S(to_step).label.lower()}."
        elif len(reason) > 300:
            errors["reason"] = "Keep it under 300 characters."
    if errors:
        raise ReferralError(errors)
    setattr(referral, STEP_DATE[to_step], on)
    if to_step == S.BOOKED:
        referral.appointment_on = appointment_on
    if to_step in ENDED_STEPS:
        referral.status_reason = reason
    if records_sent is not None:
        referral.records_sent = bool(records_sent)
    referral.step = to_step
    referral.step_due_on = step_due(to_step, on, StepDays.of(referral.type), referral.appointment_on)
    referral.updated_at = now
    referral.save()
    # The chase of the step it has left is answered by the move itself.
    from care.models import Task

    Task.objects.filter(rule_key=chase_key(referral.pk, from_step), done_at__isnull=True).update(
        done_at=now, done_by=_user(actor))
    audit.record(action="update", obj=referral, actor=actor,
                 summary=f"Referral {referral.pk}: {S(from_step).label} → {S(to_step).label} on {on:%Y-%m-%d}",
                 reason=reason, changes={"step": [from_step, to_step]})
    return referral


@transaction.atomic
def set_records_sent(referral: Referral, records_sent: bool, *, actor, now=None) -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.records_sent != bool(records_sent):
        audit.record(action="update", obj=referral, actor=actor, summary=f"Referral {referral.pk}: records sent",
                     changes={"records_sent": [referral.records_sent, bool(records_sent)]})
        referral.records_sent = bool(records_sent)
        referral.updated_at = now or timezone.now()
        referral.save(update_fields=["records_sent", "updated_at"])
    return referral


# --- the chase rule (the task generator's) ----------------------------------------------------------

_WAITING_SQL = " ".join(f"WHEN '{step}' THEN '{words}'" for step, words in WAITING_FOR.items())

# The chase goes to whoever made the referral while they coordinate care in its PCN, else to
# the team queue ({referrer_still_there}: access.care_coordinates_sql, care/staffing.py).
CHASE_SQL = f"""
    INSERT INTO care_task (patient_id, pcn_id, title, kind, due_on, assigned_to_id, rule_key, created_at)
    SELECT r.patient_id, r.pcn_id,
           left('Chase referral to ' || r.service || ': ' || CASE r.step {_WAITING_SQL} END, 200),
           'referral_chase', %(today)s, CASE WHEN {{referrer_still_there}} THEN r.referred_by_id END,
           'referral-chase:' || r.id || ':' || r.step, now()
    FROM care_referral r
    WHERE r.step_due_on IS NOT NULL AND r.step_due_on < %(today)s
      AND EXISTS (SELECT 1 FROM registries_panelentry e WHERE e.patient_id = r.patient_id AND e.ended_at IS NULL)
      AND NOT EXISTS (
          SELECT 1 FROM care_task t
          WHERE t.rule_key = 'referral-chase:' || r.id || ':' || r.step AND t.rule_key <> ''
            AND t.done_at >= %(rechase_after)s)
    ON CONFLICT DO NOTHING
"""
# Chases whose referral has moved to another step (or ended) since they were made, or
# whose patient has left every panel (and so the caseload, as the generator's other rules).
CLOSE_SQL = """
    UPDATE care_task t SET done_at = now()
    FROM care_referral r
    WHERE t.kind = 'referral_chase' AND t.done_at IS NULL AND t.rule_key LIKE 'referral-chase:%%'
      AND r.id = split_part(t.rule_key, ':', 2)::bigint
      AND (r.step <> split_part(t.rule_key, ':', 3) OR r.step_due_on IS NULL
           OR NOT EXISTS (SELECT 1 FROM registries_panelentry e WHERE e.patient_id = r.patient_id
                          AND e.ended_at IS NULL))
"""


def chase_overdue(today: datetime.date | None = None) -> tuple[int, int]:
    """Make a chase task for every referral past its step's due date (one per referral and
    step; again RECHASE_DAYS after a chase was done while it is still stuck) of a patient
    still on a panel, and close the chases of referrals that have moved on (or whose
    patient has left the panels). Returns (made, closed). Two statements over the
    province, whatever its size; safe to run again (the rule key's unique index)."""
    today = today or timezone.localdate()
    rechase_after = timezone.make_aware(datetime.datetime.combine(today - datetime.timedelta(days=RECHASE_DAYS),
                                                                  datetime.time.min))
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(CLOSE_SQL)
        closed = cur.rowcount
        cur.execute(CHASE_SQL.format(referrer_still_there=access.care_coordinates_sql("r.referred_by_id", "r.pcn_id")),
                    {"today": today, "rechase_after": rechase_after})
        made = cur.rowcount
    return made, closed
