"""Care coordination records (care/) as FHIR R4 resources, read only, in the care scope.

- an Enrolment in a programme is an `EpisodeOfCare` (its need level an extension);
- a CarePlan is a `CarePlan` at its latest version (`meta.versionId`), its goals as
  contained `Goal`s, its actions as activities, its carers as a contained `CareTeam`;
- a Task is a `Task`; a Contact is a `Communication`;
- a Referral is a `ServiceRequest` with its step in a contained `Task` (see `service_request`).

Goals and the carers' CareTeam stay contained in their CarePlan: they are parts of a plan
version (JSON on the version row, no ids or history of their own), not records to read alone.
"""

from __future__ import annotations

from care.models import CarePlanVersion
from care.referral_models import ENDED_STEPS, ReferralStep
from care.referrals import STEP_DATE
from fhir import mapping

NEED_LEVEL_URL = "https://fhir.attach.bc.ca/StructureDefinition/care-need-level"
CARE_SYSTEM = "https://fhir.attach.bc.ca/CodeSystem/attach-care"
REFERRAL_TYPE_SYSTEM = "https://fhir.attach.bc.ca/CodeSystem/attach-referral-type"
REFERRAL_CATEGORY_SYSTEM = "https://fhir.attach.bc.ca/CodeSystem/attach-referral-category"
REFERRAL_STEP_SYSTEM = "https://fhir.attach.bc.ca/CodeSystem/attach-referral-step"
REFERRAL_STEP_URL = "https://fhir.attach.bc.ca/StructureDefinition/referral-step-reached"
GOAL_ACHIEVEMENT = {"not_started": "no-progress", "in_progress": "in-progress", "achieved": "achieved",
                    "not_achieved": "not-achieved"}
ACTION_STATUS = {"to_do": "not-started", "done": "completed", "cancelled": "cancelled"}


def _subject(patient_id) -> dict:
    return mapping.ref("Patient", patient_id)


def episode_of_care(enrolment) -> dict:
    period = {"start": mapping.instant(enrolment.enrolled_at)}
    if enrolment.discharged_at:
        period["end"] = mapping.instant(enrolment.discharged_at)
    return mapping.validated({
        "resourceType": "EpisodeOfCare",
        "id": str(enrolment.pk),
        "extension": [{"url": NEED_LEVEL_URL, "valueInteger": enrolment.need_level}],
        "status": "finished" if enrolment.discharged_at else "active",
        "type": [{"coding": [{"system": mapping.PROGRAMME_SYSTEM, "code": enrolment.programme.code,
                              "display": enrolment.programme.name}], "text": enrolment.reason}],
        "patient": _subject(enrolment.patient_id),
        "period": period,
    })


def care_plan(plan, version: CarePlanVersion | None) -> dict:
    data = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "status": "active" if version else "draft",
        "intent": "plan",
        "title": "Personalised care and support plan",
        "subject": _subject(plan.patient_id),
        "created": mapping.instant(plan.created_at),
    }
    if version is None:
        return mapping.validated(data)
    data["meta"] = {"versionId": str(version.number), "lastUpdated": mapping.instant(version.saved_at)}
    data["description"] = version.what_matters
    data["period"] = {"end": version.review_date.isoformat()}
    contained = []
    for i, goal in enumerate(version.goals, start=1):
        found = {
            "resourceType": "Goal", "id": f"goal-{i}",
            "lifecycleStatus": {"achieved": "completed", "not_achieved": "cancelled"}.get(goal.get("status"), "active"),
            "achievementStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                "code": GOAL_ACHIEVEMENT.get(goal.get("status"), "in-progress")}]},
            "description": {"text": goal["text"]},
            "subject": _subject(plan.patient_id),
        }
        if goal.get("target_date"):
            found["target"] = [{"dueDate": goal["target_date"]}]
        contained.append(found)
    if version.carers:
        contained.append({
            "resourceType": "CareTeam", "id": "carers", "status": "active", "name": "Carers",
            "subject": _subject(plan.patient_id),
            "participant": [{"role": [{"text": c.get("relationship") or "Carer"}], "member": {"display": c["name"]}}
                            for c in version.carers],
        })
        data["careTeam"] = [{"reference": "#carers"}]
    if contained:
        data["contained"] = contained
    goals = [{"reference": f"#{g['id']}"} for g in contained if g["resourceType"] == "Goal"]
    if goals:
        data["goal"] = goals
    if version.actions:
        data["activity"] = [{"detail": {
            "status": ACTION_STATUS.get(a.get("status"), "unknown"),
            "description": a["text"],
            **({"scheduledString": f"Due {a['due']}"} if a.get("due") else {}),
            **({"performer": [{"display": a["who"]}]} if a.get("who") else {}),
        }} for a in version.actions]
    return mapping.validated(data)


def task(t) -> dict:
    data = {
        "resourceType": "Task",
        "id": str(t.pk),
        "status": "completed" if t.done_at else "requested",
        "intent": "order",
        "code": {"coding": [{"system": CARE_SYSTEM, "code": f"task-{t.kind.replace('_', '-')}",
                             "display": t.get_kind_display()}]},
        "description": t.title,
        "authoredOn": mapping.instant(t.created_at),
        "restriction": {"period": {"end": t.due_on.isoformat()}},
    }
    if t.patient_id:
        data["for"] = _subject(t.patient_id)
    if t.assigned_to_id:
        data["owner"] = {"display": t.assigned_to.get_full_name() or t.assigned_to.username}
    if t.done_at:
        data["lastModified"] = mapping.instant(t.done_at)
    return mapping.validated(data)


def communication(contact) -> dict:
    data = {
        "resourceType": "Communication",
        "id": str(contact.pk),
        "status": "completed",
        "category": [{"coding": [{"system": CARE_SYSTEM, "code": f"activity-{contact.category.replace('_', '-')}",
                                  "display": contact.get_category_display()}]}],
        "medium": [{"text": contact.get_channel_display()}],
        "subject": _subject(contact.patient_id),
        "sent": contact.contacted_on.isoformat(),
        "recipient": [{"display": contact.get_contacted_display()}],
        "statusReason": {"text": contact.get_outcome_display()},
        "note": [{"text": f"{contact.minutes} minutes"}],
    }
    if contact.note:
        data["payload"] = [{"contentString": contact.note}]
    return mapping.validated(data)


def latest_versions(plans) -> dict[int, CarePlanVersion]:
    wanted = {(p.pk, p.latest_number) for p in plans}
    versions = CarePlanVersion.objects.filter(plan__in=[p.pk for p in plans])
    return {v.plan_id: v for v in versions if (v.plan_id, v.number) in wanted}


# --- referrals (care.referral_models.Referral) ---------------------------------------------------
# The steps on the way, in the order a referral moves, with the column each dates; a referral
# that ended (rejected, cancelled) has its end date besides (ended_on).
REFERRAL_STEPS = [(step, column) for step, column in STEP_DATE.items() if step not in ENDED_STEPS]


def _code(value: str) -> str:
    return value.replace("_", "-")


def _coding(system: str, code: str, display: str) -> dict:
    return {"system": system, "code": code, "display": display}


def service_request(r) -> dict:
    """A Referral as a FHIR `ServiceRequest`, with its step in a contained `Task`.

    FHIR splits a referral in two: the ServiceRequest says what is asked of whom and why
    (its status only active / completed / revoked), a Task tracks the fulfilment (Task.status
    and the fine-grained step in Task.businessStatus). The Task is *contained* here, not a
    `Task` of its own on /fhir/Task: that kind is care.Task (the coordinators' to-dos, its
    ids theirs), and a referral's step is not a record of its own but a column of the
    referral; a contained Task keeps the ids apart and the referral in one read. It points
    at its container (`focus` "#", as FHIR's rule dom-3 allows), its `businessStatus` is
    the step (requested, accepted, booked, seen, report-received, closed, rejected,
    cancelled; CodeSystem REFERRAL_STEP_SYSTEM) and its `statusReason` the reason a
    referral was rejected or cancelled. The dates of the steps reached are the Task's
    extension REFERRAL_STEP_URL (one per step: `step` code + `date`), the history FHIR
    would otherwise spread over Provenance resources Attach does not keep.

    The service referred to is free text in Attach (no directory of services), so it is the
    performer's (and the Task owner's) `display`; "records sent" is a note.
    """
    step = r.step
    step_label = ReferralStep(step).label
    history = [{"extension": [{"url": "step", "valueCode": _code(s)}, {"url": "date", "valueDate": getattr(r, f).isoformat()}]}
               for s, f in REFERRAL_STEPS if getattr(r, f) is not None]
    if r.ended_on:
        history.append({"extension": [{"url": "step", "valueCode": _code(step)},
                                      {"url": "date", "valueDate": r.ended_on.isoformat()}]})
    for h in history:
        h["url"] = REFERRAL_STEP_URL
    ended = r.closed_on or r.ended_on
    period = {"start": r.sent_on.isoformat(), **({"end": ended.isoformat()} if ended else {})}
    requester = None
    if r.referred_by_id:
        requester = {"display": r.referred_by.get_full_name() or r.referred_by.username}
    task = {
        "resourceType": "Task", "id": "step",
        "extension": history,
        "status": r.fhir_task_status,
        "businessStatus": {"coding": [_coding(REFERRAL_STEP_SYSTEM, _code(step), step_label)], "text": step_label},
        "intent": "order",
        "priority": r.priority,
        "focus": {"reference": "#"},
        "for": _subject(r.patient_id),
        "executionPeriod": period,
        "authoredOn": r.sent_on.isoformat(),
        "lastModified": mapping.instant(r.updated_at),
        "owner": {"display": r.service},
    }
    if requester:
        task["requester"] = requester
    if r.status_reason:
        task["statusReason"] = {"text": r.status_reason}
    notes = []
    if r.records_sent:
        notes.append({"text": "Records sent with the referral."})
    if r.status_reason:
        notes.append({"text": f"{step_label}: {r.status_reason}"})
    data = {
        "resourceType": "ServiceRequest",
        "id": str(r.pk),
        "meta": {"lastUpdated": mapping.instant(r.updated_at)},
        "contained": [task],
        "status": r.fhir_request_status,
        "intent": "order",
        "category": [{"coding": [_coding(REFERRAL_CATEGORY_SYSTEM, _code(r.type.category),
                                         r.type.get_category_display())]}],
        "priority": r.priority,
        "code": {"coding": [_coding(REFERRAL_TYPE_SYSTEM, _code(r.type.code), r.type.name)],
                 "text": r.type.name},
        "subject": _subject(r.patient_id),
        "authoredOn": r.sent_on.isoformat(),
        "performer": [{"display": r.service}],
        "reasonCode": [{"text": r.reason}],
    }
    if r.appointment_on:
        data["occurrenceDateTime"] = r.appointment_on.isoformat()
    if requester:
        data["requester"] = requester
    if notes:
        data["note"] = notes
    return mapping.validated(data)
