"""Care coordination's changes: each one transaction, audited in it, taking `actor=`.

Bad input raises `CareError` (a DomainError) keyed by the field it is about, before anything
is written; the database's constraints (one open enrolment per programme, need level 1-4,
sensible minutes, one open task per rule key, ...) hold whatever a caller does. Views
check scope (`access.care_patient_to_read`, ...) before calling in.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from attachment.core import access, audit
from attachment.core.errors import DomainError
from care import risk
from care.models import (
    ACTION_STATUSES,
    ACTION_WHO,
    GOAL_STATUSES,
    MAX_CONTACT_MINUTES,
    CarePlan,
    CarePlanVersion,
    CareProfile,
    Contact,
    Enrolment,
    NeedLevelChange,
    Programme,
    Task,
)
from patients.models import Patient

# How soon after enrolment the first call is due, and how long a plan may go unreviewed.
FIRST_CALL_DAYS = 2
MAX_REVIEW_DAYS = 366
# A contact logged this long after it happened is more likely a mistyped year.
MAX_CONTACT_AGE_DAYS = 366


class CareError(DomainError):
    """A care coordination change that cannot be made, with the field it is about."""


def _user(actor):
    return actor.authenticated_user if actor is not None else None


def _pcn_for(patient, actor):
    """The PCN a change counts in: the patient's PCN in the actor's scope, else the patient's first."""
    pcns = access.pcns_of_patient(patient)
    user = _user(actor)
    if user is not None:
        mine = pcns.filter(pk__in=access.care_pcns(user).values("pk")).order_by("pk").first()
        if mine is not None:
            return mine
    return pcns.order_by("pk").first()


def _locked_patient(patient) -> Patient:
    # Serialises changes to one patient's care record (two coordinators enrolling at once).
    return Patient.objects.select_for_update().get(pk=patient.pk)


def _reason(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise CareError({field: f"Give {what}."})
    if len(value) > 300:
        raise CareError({field: "Keep it under 300 characters."})
    return value


def _level(value, field="need_level") -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        raise CareError({field: "Choose a need level from 1 to 4."}) from None
    if not 1 <= level <= 4:
        raise CareError({field: "Choose a need level from 1 to 4."})
    return level


# --- enrolment and need level -----------------------------------------------------------


@transaction.atomic
def enrol(patient, *, programme: Programme, reason: str, need_level, actor, pcn=None, now=None) -> Enrolment:
    """Enrol a patient in a programme, with a reason and a first need level; the first call is queued."""
    now = now or timezone.now()
    reason = _reason(reason, "reason", "the reason for enrolling them")
    level = _level(need_level)
    if programme is None or not programme.active:
        raise CareError({"programme": "Choose a programme that is open."})
    patient = _locked_patient(patient)
    pcn = pcn or _pcn_for(patient, actor)
    if pcn is None:
        raise CareError("The patient is not on the panel of a provider at a clinic in a PCN.")
    current = Enrolment.objects.filter(patient=patient, programme=programme, discharged_at__isnull=True).first()
    if current is not None:
        raise CareError({"programme": f"Already enrolled in {programme} since "
                                      f"{timezone.localdate(current.enrolled_at):%Y-%m-%d}."})
    user = _user(actor)
    enrolment = Enrolment.objects.create(
        patient=patient, programme=programme, pcn=pcn, reason=reason, need_level=level,
        enrolled_at=now, enrolled_by=user,
    )
    NeedLevelChange.objects.create(enrolment=enrolment, from_level=None, to_level=level,
                                   reason=f"Enrolled: {reason}"[:300], at=now, by=user)
    audit.record(action="create", obj=enrolment, actor=actor, summary=f"Enrolled in {programme}, need level {level}",
                 reason=reason)
    create_task(pcn=pcn, patient=patient, title=f"First call after enrolment in {programme}", kind=Task.Kind.CALL,
                due_on=timezone.localdate(now) + datetime.timedelta(days=FIRST_CALL_DAYS), assigned_to=user,
                rule_key=f"care-enrol-call:{enrolment.pk}", actor=actor, allow_past=True)
    _transitions(patient, actor, now)
    return enrolment


def _transitions(patient, actor, now) -> None:
    # A child's move to adult care shows at once on enrolment, and closes with the last programme.
    from care import generator  # not at the top: the generator's chase rule imports this module

    generator.run_for_patient([generator.transitions], patient.pk, actor=actor, today=timezone.localdate(now))


@transaction.atomic
def discharge(enrolment: Enrolment, *, reason: str, actor, now=None) -> Enrolment:
    now = now or timezone.now()
    reason = _reason(reason, "reason", "the reason for the discharge")
    enrolment = Enrolment.objects.select_for_update().select_related("programme").get(pk=enrolment.pk)
    if enrolment.discharged_at is not None:
        raise CareError("This enrolment has already ended.")
    enrolment.discharged_at = max(now, enrolment.enrolled_at)
    enrolment.discharged_by = _user(actor)
    enrolment.discharge_reason = reason
    enrolment.save(update_fields=["discharged_at", "discharged_by", "discharge_reason"])
    # The enrolment's own first call means nothing once it has ended.
    Task.objects.filter(rule_key=f"care-enrol-call:{enrolment.pk}", done_at__isnull=True).update(
        done_at=now, done_by=_user(actor))
    audit.record(action="update", obj=enrolment, actor=actor, summary=f"Discharged from {enrolment.programme}",
                 reason=reason)
    _transitions(enrolment.patient, actor, now)
    return enrolment


@transaction.atomic
def change_need_level(enrolment: Enrolment, *, to_level, reason: str, actor, now=None) -> NeedLevelChange:
    now = now or timezone.now()
    level = _level(to_level, "to_level")
    reason = _reason(reason, "reason", "the reason for the change")
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.discharged_at is not None:
        raise CareError("This enrolment has ended; its need level no longer changes.")
    if level == enrolment.need_level:
        raise CareError({"to_level": f"The need level is already {level}."})
    change = NeedLevelChange.objects.create(enrolment=enrolment, from_level=enrolment.need_level, to_level=level,
                                            reason=reason, at=now, by=_user(actor))
    audit.record(action="update", obj=enrolment, actor=actor, summary=f"Need level {enrolment.need_level} → {level}",
                 reason=reason, changes={"need_level": [enrolment.need_level, level]})
    enrolment.need_level = level
    enrolment.save(update_fields=["need_level"])
    return change


# --- contacts ---------------------------------------------------------------------------------


@transaction.atomic
def log_contact(patient, *, contacted_on: datetime.date, channel: str, contacted: str, minutes, outcome: str,
                category: str, note: str = "", actor, today=None) -> Contact:
    today = today or timezone.localdate()
    errors = {}
    if not isinstance(contacted_on, datetime.date):
        errors["contacted_on"] = "Give the date of the contact."
    elif contacted_on > today:
        errors["contacted_on"] = "The date of a contact cannot be in the future."
    elif contacted_on < patient.date_of_birth:
        errors["contacted_on"] = "The date is before the patient was born."
    elif (today - contacted_on).days > MAX_CONTACT_AGE_DAYS:
        errors["contacted_on"] = "The date is more than a year ago: check the year."
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        minutes = None
    if minutes is None or not 0 < minutes < MAX_CONTACT_MINUTES:
        errors["minutes"] = f"Give the minutes spent, from 1 to {MAX_CONTACT_MINUTES - 1}."
    for field, value, choices in (("channel", channel, Contact.Channel), ("contacted", contacted, Contact.With),
                                  ("outcome", outcome, Contact.Outcome), ("category", category, Contact.Category)):
        if value not in choices.values:
            errors[field] = "Choose one of the options."
    note = (note or "").strip()
    if len(note) > 4000:
        errors["note"] = "Keep the note under 4,000 characters."
    if errors:
        raise CareError(errors)
    contact = Contact.objects.create(
        patient=patient, pcn=_pcn_for(patient, actor), contacted_on=contacted_on, channel=channel,
        contacted=contacted, minutes=minutes, outcome=outcome, category=category, note=note, by=_user(actor),
    )
    audit.record(action="create", obj=contact, actor=actor,
                 summary=f"Contact logged for patient {patient.pk}: {contact.get_channel_display()}, {minutes} min")
    return contact


# --- care plan ---------------------------------------------------------------------------------


@dataclass
class PlanContent:
    what_matters: str
    review_date: datetime.date | None
    goals: list[dict]
    actions: list[dict]
    carers: list[dict]


def _iso(value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValueError("not a date") from None


def _clean_plan(content: PlanContent, *, starts: datetime.date, today: datetime.date) -> dict:
    """The plan's lists in their stored shape, or CareError naming each wrong field and row."""
    errors: dict[str, list[str]] = {}

    def err(field, message):
        errors.setdefault(field, []).append(message)

    what_matters = (content.what_matters or "").strip()
    if not what_matters:
        err("what_matters", "Write what matters to the person, in their words.")
    elif len(what_matters) > 4000:
        err("what_matters", "Keep it under 4,000 characters.")
    review = content.review_date
    if not isinstance(review, datetime.date):
        err("review_date", "Give the date the plan will be reviewed.")
    elif review < today:
        err("review_date", "The review date cannot be in the past.")
    elif (review - today).days > MAX_REVIEW_DAYS:
        err("review_date", "Review the plan at least once a year: choose a date within 12 months.")

    def dated(row, key, label, n, field):
        try:
            value = _iso(row.get(key))
        except ValueError:
            err(field, f"{label} {n}: the date is not a date.")
            return ""
        if value and datetime.date.fromisoformat(value) < starts:
            err(field, f"{label} {n}: the date is before the plan began ({starts:%Y-%m-%d}).")
        return value

    goal_codes, who_codes, action_codes = dict(GOAL_STATUSES), dict(ACTION_WHO), dict(ACTION_STATUSES)
    goals = []
    for n, row in enumerate(content.goals, start=1):
        text = (row.get("text") or "").strip()
        if not text:
            err("goals", f"Goal {n}: describe the goal.")
        status = row.get("status") or "not_started"
        if status not in goal_codes:
            err("goals", f"Goal {n}: choose a status.")
        goals.append({"text": text[:500], "target_date": dated(row, "target_date", "Goal", n, "goals"),
                      "status": status})
    actions = []
    for n, row in enumerate(content.actions, start=1):
        text = (row.get("text") or "").strip()
        if not text:
            err("actions", f"Action {n}: say what will be done.")
        who = row.get("who") or ""
        if who not in who_codes:
            err("actions", f"Action {n}: say who will do it.")
        status = row.get("status") or "to_do"
        if status not in action_codes:
            err("actions", f"Action {n}: choose a status.")
        actions.append({"text": text[:500], "who": who, "due": dated(row, "due", "Action", n, "actions"),
                        "status": status})
    carers = []
    for n, row in enumerate(content.carers, start=1):
        name = (row.get("name") or "").strip()
        if not name:
            err("carers", f"Carer {n}: give their name.")
        email = (row.get("email") or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                err("carers", f"Carer {n}: the email address is not valid.")
        carers.append({"name": name[:200], "relationship": (row.get("relationship") or "").strip()[:100],
                       "phone": (row.get("phone") or "").strip()[:30], "email": email[:200]})
    if errors:
        raise CareError(errors)
    return {"what_matters": what_matters, "review_date": review, "goals": goals, "actions": actions, "carers": carers}


@transaction.atomic
def save_plan_version(patient, content: PlanContent, *, actor, now=None) -> CarePlanVersion:
    """Save the patient's care plan as a new version (every version is kept); the review becomes a task."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    patient = _locked_patient(patient)
    plan = CarePlan.objects.select_for_update().filter(patient=patient).first()
    starts = timezone.localdate(plan.created_at) if plan else today
    clean = _clean_plan(content, starts=starts, today=today)
    created = plan is None
    if created:
        plan = CarePlan.objects.create(patient=patient, created_at=now)
    plan.latest_number += 1
    plan.save(update_fields=["latest_number"])
    version = CarePlanVersion.objects.create(plan=plan, number=plan.latest_number, saved_at=now,
                                             saved_by=_user(actor), **clean)
    audit.record(action="create", obj=version, actor=actor,
                 summary=f"Care plan of patient {patient.pk}, version {version.number}"
                         f" ({len(clean['goals'])} goals, {len(clean['actions'])} actions)")
    pcn = _pcn_for(patient, actor)
    if pcn is not None:
        key = f"care-plan-review:{plan.pk}"
        open_review = Task.objects.select_for_update().filter(rule_key=key, done_at__isnull=True).first()
        if open_review is None:
            create_task(pcn=pcn, patient=patient, title="Review the care plan", kind=Task.Kind.PLAN_REVIEW,
                        due_on=clean["review_date"], assigned_to=_user(actor), rule_key=key, actor=actor)
        elif open_review.due_on != clean["review_date"]:
            audit.record(action="update", obj=open_review, actor=actor, summary="Plan review date moved",
                         changes={"due_on": [str(open_review.due_on), str(clean["review_date"])]})
            open_review.due_on = clean["review_date"]
            open_review.save(update_fields=["due_on"])
    return version


# --- tasks ------------------------------------------------------------------------------------


def _check_assignee(assigned_to, pcn):
    if assigned_to is None:
        return
    if not access.care_pcns(assigned_to).filter(pk=pcn.pk).exists():
        raise CareError({"assigned_to": "Give the task to a care coordinator of this PCN, or to its team queue."})


@transaction.atomic
def create_task(*, pcn, title: str, due_on: datetime.date, actor, patient=None, kind: str = Task.Kind.OTHER,
                assigned_to=None, rule_key: str = "", allow_past: bool = False, today=None) -> Task:
    """A task for a person or the PCN's queue. With a `rule_key`, making it again while it is open
    returns the open one and changes nothing (two rule runs at once included)."""
    today = today or timezone.localdate()
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = "Say what is to be done."
    elif len(title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if kind not in Task.Kind.values:
        errors["kind"] = "Choose a kind of task."
    if not isinstance(due_on, datetime.date):
        errors["due_on"] = "Give the date it is due."
    elif due_on < today and not allow_past:
        errors["due_on"] = "A new task cannot be due in the past."
    if errors:
        raise CareError(errors)
    _check_assignee(assigned_to, pcn)
    if rule_key:
        existing = Task.objects.filter(rule_key=rule_key, done_at__isnull=True).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            task = Task.objects.create(pcn=pcn, patient=patient, title=title, kind=kind, due_on=due_on,
                                       assigned_to=assigned_to, rule_key=rule_key, created_by=_user(actor))
    except IntegrityError:
        if not rule_key:
            raise
        # Another run made the same task a moment ago: theirs stands.
        return Task.objects.get(rule_key=rule_key, done_at__isnull=True)
    audit.record(action="create", obj=task, actor=actor,
                 summary=f"Task: {title} (due {due_on:%Y-%m-%d}, {'for ' + assigned_to.username if assigned_to else 'PCN queue'})")
    return task


@transaction.atomic
def complete_task(task: Task, *, actor, now=None) -> Task:
    now = now or timezone.now()
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.done_at is not None:
        raise CareError("This task is already done.")
    task.done_at = now
    task.done_by = _user(actor)
    task.save(update_fields=["done_at", "done_by"])
    audit.record(action="update", obj=task, actor=actor, summary=f"Task done: {task.title}")
    return task


@transaction.atomic
def assign_task(task: Task, *, assigned_to, actor) -> Task:
    task = Task.objects.select_for_update().select_related("pcn").get(pk=task.pk)
    if task.done_at is not None:
        raise CareError("This task is done; it can no longer be given to someone.")
    _check_assignee(assigned_to, task.pcn)
    before = task.assigned_to.username if task.assigned_to else "PCN queue"
    after = assigned_to.username if assigned_to else "PCN queue"
    task.assigned_to = assigned_to
    task.save(update_fields=["assigned_to"])
    audit.record(action="update", obj=task, actor=actor, summary=f"Task given to {after}",
                 changes={"assigned_to": [before, after]})
    return task


# --- care profile (the provider's record) ----------------------------------------------------------


PROFILE_FIELDS = ["diagnoses", "deficits", "body_systems", "progressive", "technology_dependent", "malignancy",
                  "complexity_score", "needs_pvp", "risk_category"]


@transaction.atomic
def save_care_profile(patient, *, diagnoses: str = "", deficits=(), body_systems=(), progressive=False,
                      technology_dependent=False, malignancy=False, complexity_score=None, needs_pvp=False,
                      actor, now=None) -> CareProfile:
    """What the provider records for the patient; the risk category is worked out with it (care.risk)."""
    now = now or timezone.now()
    errors = {}
    unknown = [d for d in deficits if d not in risk.EFI_LABELS]
    if unknown:
        errors["deficits"] = f"Unknown deficits: {', '.join(unknown)}."
    unknown = [s for s in body_systems if s not in risk.PMCA_LABELS]
    if unknown:
        errors["body_systems"] = f"Unknown body systems: {', '.join(unknown)}."
    if complexity_score not in (None, ""):
        try:
            complexity_score = int(complexity_score)
        except (TypeError, ValueError):
            complexity_score = 0
        if not 1 <= complexity_score <= 5:
            errors["complexity_score"] = "The complexity score is from 1 to 5."
    else:
        complexity_score = None
    diagnoses = (diagnoses or "").strip()
    if len(diagnoses) > 4000:
        errors["diagnoses"] = "Keep the diagnoses under 4,000 characters."
    if errors:
        raise CareError(errors)
    patient = _locked_patient(patient)
    deficits = sorted(set(deficits), key=list(risk.EFI_LABELS).index)
    body_systems = sorted(set(body_systems), key=list(risk.PMCA_LABELS).index)
    scored = risk.score(risk.RiskFacts(date_of_birth=patient.date_of_birth, deficits=tuple(deficits),
                                       body_systems=tuple(body_systems), progressive=progressive,
                                       technology_dependent=technology_dependent, malignancy=malignancy),
                        today=timezone.localdate(now))
    profile = CareProfile.objects.filter(patient=patient).first()
    created = profile is None
    before = audit.snapshot(profile, PROFILE_FIELDS) if profile else {}
    profile = profile or CareProfile(patient=patient)
    profile.diagnoses, profile.deficits, profile.body_systems = diagnoses, deficits, body_systems
    profile.progressive, profile.technology_dependent, profile.malignancy = progressive, technology_dependent, malignancy
    profile.complexity_score, profile.needs_pvp = complexity_score, needs_pvp
    profile.risk_category = scored.category
    profile.updated_at, profile.updated_by = now, _user(actor)
    profile.save()
    audit.record(action="create" if created else "update", obj=profile, actor=actor,
                 summary=f"Care profile of patient {patient.pk}: {scored.label}",
                 changes=audit.diff(profile, before, PROFILE_FIELDS) if not created else {})
    return profile

