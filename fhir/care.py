"""Care coordination records (care/) as FHIR R4 resources, read only, in the care scope.

- an Enrolment in a programme is an `EpisodeOfCare` (its need level an extension);
- a CarePlan is a `CarePlan` at its latest version (`meta.versionId`), its goals as
  contained `Goal`s, its actions as activities, its carers as a contained `CareTeam`;
- a Task is a `Task`; a Contact is a `Communication`.
"""

from __future__ import annotations

from care.models import CarePlanVersion
from fhir import mapping

NEED_LEVEL_URL = "https://fhir.attach.bc.ca/StructureDefinition/care-need-level"
CARE_SYSTEM = "https://fhir.attach.bc.ca/CodeSystem/attach-care"
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
