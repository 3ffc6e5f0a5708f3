"""MDT meetings: a PCN's multidisciplinary team meets about some of its caseload. A coordinator
schedules one, puts caseload patients on its agenda (with why), records who came, the outcome
per patient, and actions that become tasks on the worklist (kind "mdt_action")."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from attachment.core import access, audit
from care import selectors, services
from care.models import Enrolment, MdtAgendaItem, MdtMeeting, Task
from care.services import CareError, _reason, _user


@transaction.atomic
def schedule_meeting(*, pcn, title: str, meets_at: datetime.datetime, location: str = "", actor,
                     now=None) -> MdtMeeting:
    now = now or timezone.now()
    user = _user(actor)
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = "Give the meeting a title."
    elif len(title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if pcn is None or (user is not None and not access.care_pcns(user).filter(pk=pcn.pk).exists()):
        errors["pcn"] = "Choose one of your PCNs."
    if not isinstance(meets_at, datetime.datetime):
        errors["meets_at"] = "Give the date and time of the meeting."
    elif meets_at < now - datetime.timedelta(days=366) or meets_at > now + datetime.timedelta(days=366):
        errors["meets_at"] = "The meeting is more than a year away: check the year."
    if len((location or "").strip()) > 200:
        errors["location"] = "Keep the place under 200 characters."
    if errors:
        raise CareError(errors)
    meeting = MdtMeeting.objects.create(pcn=pcn, title=title, meets_at=meets_at, location=(location or "").strip(),
                                        created_at=now, created_by=user)
    audit.record(action="create", obj=meeting, actor=actor, summary=f"MDT meeting scheduled: {title}")
    return meeting


def find_on_caseload(user, meeting: MdtMeeting, term: str):
    """The one patient of the meeting's PCN caseload a name or PHN names, or CareError saying why not."""
    found = list(Enrolment.objects.filter(discharged_at__isnull=True, pcn=meeting.pcn,
                                          patient__in=access.care_patients(user))
                 .filter(selectors.patient_search_q(term, "patient__")).select_related("patient")
                 .distinct("patient_id").order_by("patient_id")[:5])
    if not found:
        raise CareError({"patient": "No one on this PCN's caseload has that name or PHN."})
    if len(found) > 1:
        raise CareError({"patient": f"{len(found)} people match: give the PHN."})
    return found[0].patient


@transaction.atomic
def add_to_agenda(meeting: MdtMeeting, patient, *, reason: str, actor) -> MdtAgendaItem:
    reason = _reason(reason, "reason", "why they are discussed")
    meeting = MdtMeeting.objects.select_for_update().get(pk=meeting.pk)
    if MdtAgendaItem.objects.filter(meeting=meeting, patient=patient).exists():
        raise CareError({"patient": f"{patient.first_name} {patient.last_name} is already on the agenda."})
    position = (meeting.items.aggregate(m=Max("position"))["m"] or 0) + 1
    item = MdtAgendaItem.objects.create(meeting=meeting, patient=patient, position=position, reason=reason)
    audit.record(action="create", obj=item, actor=actor,
                 summary=f"Patient {patient.pk} on the agenda of MDT meeting {meeting.pk}", reason=reason)
    return item


@transaction.atomic
def record_attendance(meeting: MdtMeeting, *, attendees: str, actor, now=None) -> MdtMeeting:
    now = now or timezone.now()
    lines = [line.strip() for line in (attendees or "").splitlines() if line.strip()]
    if not lines:
        raise CareError({"attendees": "Name who came, one a line."})
    text = "\n".join(lines)
    if len(text) > 4000:
        raise CareError({"attendees": "Keep the list under 4,000 characters."})
    meeting = MdtMeeting.objects.select_for_update().get(pk=meeting.pk)
    before = meeting.attendees
    meeting.attendees, meeting.attendance_recorded_at = text, now
    meeting.save(update_fields=["attendees", "attendance_recorded_at"])
    audit.record(action="update", obj=meeting, actor=actor, summary=f"MDT attendance: {len(lines)} people",
                 changes={"attendees": [before, text]})
    return meeting


@transaction.atomic
def record_outcome(item: MdtAgendaItem, *, outcome: str, actor, now=None) -> MdtAgendaItem:
    now = now or timezone.now()
    outcome = (outcome or "").strip()
    if not outcome:
        raise CareError({"outcome": "Write what the team decided."})
    if len(outcome) > 4000:
        raise CareError({"outcome": "Keep it under 4,000 characters."})
    item = MdtAgendaItem.objects.select_for_update().get(pk=item.pk)
    item.outcome, item.outcome_at, item.outcome_by = outcome, now, _user(actor)
    item.save(update_fields=["outcome", "outcome_at", "outcome_by"])
    audit.record(action="update", obj=item, actor=actor, summary=f"MDT outcome for patient {item.patient_id}")
    return item


def _action_prefix(item) -> str:
    return f"mdt-action:{item.pk}:"


@transaction.atomic
def add_action(item: MdtAgendaItem, *, title: str, due_on, assigned_to=None, actor) -> Task:
    """An action the meeting agreed: a task for a colleague or the PCN's queue."""
    item = MdtAgendaItem.objects.select_for_update().select_related("meeting__pcn", "patient").get(pk=item.pk)
    n = Task.objects.filter(rule_key__startswith=_action_prefix(item)).count() + 1
    try:
        return services.create_task(pcn=item.meeting.pcn, patient=item.patient, title=title, due_on=due_on,
                                    kind=Task.Kind.MDT_ACTION, assigned_to=assigned_to,
                                    rule_key=f"{_action_prefix(item)}{n}", actor=actor)
    except IntegrityError:
        raise CareError("Someone added an action at the same moment: try again.") from None


def actions_of(item) -> list[Task]:
    return list(Task.objects.filter(rule_key__startswith=_action_prefix(item)).select_related("assigned_to")
                .order_by("id"))


def agenda(meeting: MdtMeeting, user) -> list[MdtAgendaItem]:
    """The agenda, without patients who have left the scope since (their item stays, unseen)."""
    items = list(meeting.items.filter(patient__in=access.care_patients(user)).select_related("patient", "outcome_by"))
    for item in items:
        item.actions = actions_of(item)
    return items
