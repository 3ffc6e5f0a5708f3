"""Reads of care coordination shared by its views: the caseload, the candidates, the worklist,
a patient's care record and the comparison of two plan versions.

Every read starts from the user's scope (`access.care_patients`, `access.care_tasks`), so a
list, a search and a page cannot show anyone outside it. Lists fetch one row beyond the page
instead of counting the whole caseload.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from attachment.core import access
from care import risk
from care.models import (
    ACTION_STATUSES,
    ACTION_WHO,
    GOAL_STATUSES,
    CarePlan,
    CareProfile,
    Contact,
    Enrolment,
    LastContact,
    Task,
)
from patients.models import Patient, Registration
from patients.priority import FACTOR_LABELS
from registries.models import PanelEntry
from registries.phn import normalize_phn

PAGE_SIZE = 50
# What a registration may have reported that makes a newly attached person a candidate.
CANDIDATE_FACTORS = ("complex_care", "palliative", "chronic_condition", "hospital_discharge", "age_65_plus")
# How long after attachment a household is "recently attached".
CANDIDATE_WINDOW_DAYS = 365
OLDER_ADULT_AGE = 65


def _page(qs, page: int):
    page = max(1, page)
    start = (page - 1) * PAGE_SIZE
    rows = list(qs[start:start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _page_late(ordered, fetch, page: int):
    """One page of a long ordered list, found by id first (`ordered`: the ordered queryset,
    no joins), then fetched whole (`fetch(ids)`: with its joins and annotations) for those
    ids only: at a PCN's scale, joining the patient and the user into every candidate row
    before the sort costs more than the sort itself."""
    ids, has_next = _page(ordered.values_list("id", flat=True), page)
    by_id = {row.pk: row for row in fetch(ids)}
    return [by_id[i] for i in ids if i in by_id], has_next


def patient_search_q(term: str, prefix: str = "") -> Q:
    """A PHN (exact, indexed) or each word of a name in the first or last name."""
    term = (term or "").strip()
    compact = normalize_phn(term)
    if compact.isdigit() and len(compact) == 10:
        return Q(**{f"{prefix}phn": compact})
    words = [w for w in term.replace(",", " ").split() if w]
    if not words:
        return Q(pk__in=[])
    q = Q()
    for word in words:
        q &= Q(**{f"{prefix}first_name__icontains": word}) | Q(**{f"{prefix}last_name__icontains": word})
    return q


def _last_contact(patient_ref="patient_id"):
    # care_lastcontact (kept by a trigger on care_contact): one primary-key look-up per row,
    # not a walk of the patient's contacts.
    return Subquery(LastContact.objects.filter(patient_id=OuterRef(patient_ref)).values("contacted_on")[:1])


# --- caseload -------------------------------------------------------------------------------


@dataclass
class CaseloadQuery:
    q: str = ""
    programme: int | None = None
    need_level: int | None = None


def caseload(user, query: CaseloadQuery, *, page: int = 1, today=None):
    """One page of the open enrolments of patients in the user's scope: (rows, has_next)."""
    today = today or timezone.localdate()
    qs = Enrolment.objects.filter(discharged_at__isnull=True, patient_id__in=access.care_patient_ids(user))
    pcn_ids = list(access.care_pcns(user).values_list("pk", flat=True))
    if pcn_ids:
        # A coordinator's caseload is their PCNs' enrolments (of patients still in scope); it
        # lets care_open_caseload (pcn, need level) find them instead of every open enrolment.
        qs = qs.filter(pcn_id__in=pcn_ids)
    if query.programme:
        qs = qs.filter(programme_id=query.programme)
    if query.need_level:
        qs = qs.filter(need_level=query.need_level)
    if query.q:
        qs = qs.filter(patient_search_q(query.q, "patient__"))
    ordered = qs.order_by("-need_level", "patient__last_name", "patient__first_name", "id")
    rows, has_next = _page_late(ordered, lambda ids: Enrolment.objects.filter(pk__in=ids).select_related(
        "patient", "programme", "patient__care_profile").annotate(last_contact=_last_contact()), page)
    for row in rows:
        profile = getattr(row.patient, "care_profile", None)
        row.risk_label = risk.CATEGORY_LABELS[profile.risk_category] if profile else risk.CATEGORY_LABELS["unknown"]
        row.days_since_contact = (today - row.last_contact).days if row.last_contact else None
    return rows, has_next


def find_patients(user, term: str, *, limit: int = PAGE_SIZE):
    """Patients of the panels in scope (enrolled or not) matching a name or PHN."""
    if not (term or "").strip():
        return []
    return list(access.care_patients(user).filter(patient_search_q(term)).order_by("last_name", "first_name", "id")[:limit])


# --- candidates -------------------------------------------------------------------------------


@dataclass
class Candidate:
    patient: Patient
    reasons: list[str]
    attached_on: datetime.date | None = None


def candidates(user, *, today=None, window_days: int = CANDIDATE_WINDOW_DAYS) -> list[Candidate]:
    """People in scope, not enrolled in any programme, whom what the system knows suggests:
    recently attached households that reported complex or palliative care, a chronic
    condition, a hospital discharge or age 65+ (and members aged 65+), and patients whose
    provider recorded a high risk (moderate or severe frailty, complex chronic disease).
    Each comes with the reasons they are listed, most reasons first."""
    today = today or timezone.localdate()
    since = timezone.now() - datetime.timedelta(days=window_days)
    in_scope = access.care_patients(user)
    not_enrolled = ~Q(pk__in=Enrolment.objects.filter(discharged_at__isnull=True).values("patient_id"))
    born_before = datetime.date(today.year - OLDER_ADULT_AGE, today.month, min(today.day, 28))
    recent = Registration.objects.filter(status=Registration.Status.ATTACHED, status_changed_at__gte=since)
    members = (
        in_scope.filter(not_enrolled, registration__in=recent)
        .filter(Q(registration__priority_factors__overlap=list(CANDIDATE_FACTORS)) | Q(date_of_birth__lte=born_before))
        .select_related("registration")
    )
    found: dict[int, Candidate] = {}
    for patient in members:
        reg = patient.registration
        age = risk.age_on(patient.date_of_birth, today)
        reasons = []
        for factor in CANDIDATE_FACTORS:
            if factor in reg.priority_factors and factor != "age_65_plus":
                reasons.append(f"Registration reported: {FACTOR_LABELS[factor].lower()}")
        if age >= OLDER_ADULT_AGE:
            reasons.append(f"Aged {age}")
        if reasons:
            reasons.append(f"Attached {timezone.localdate(reg.status_changed_at):%Y-%m-%d}")
            found[patient.pk] = Candidate(patient, reasons, timezone.localdate(reg.status_changed_at))
    profiles = (CareProfile.objects.filter(patient__in=in_scope.filter(not_enrolled), risk_category__in=risk.HIGH_RISK)
                .select_related("patient"))
    for profile in profiles:
        reason = f"Provider recorded: {risk.CATEGORY_LABELS[profile.risk_category].lower()}"
        if profile.patient_id in found:
            found[profile.patient_id].reasons.insert(0, reason)
        else:
            found[profile.patient_id] = Candidate(profile.patient, [reason])
    return sorted(found.values(), key=lambda c: (-len(c.reasons), -(c.attached_on or datetime.date.min).toordinal(),
                                                 c.patient.last_name, c.patient.pk))


# --- worklist ---------------------------------------------------------------------------------


@dataclass
class WorklistQuery:
    who: str = "all"  # "mine", "queue" or "all" (mine, the queue and the caseload's)
    horizon_days: int = 0  # 0: due today and overdue; 7: and the coming week


WORKLIST_ORDER_SQL = """
    SELECT t.id, e.need, lc.contacted_on
    FROM ({tasks}) t
    LEFT JOIN (SELECT patient_id, max(need_level) AS need FROM care_enrolment
               WHERE discharged_at IS NULL {pcn_filter} GROUP BY patient_id) e ON e.patient_id = t.patient_id
    LEFT JOIN care_lastcontact lc ON lc.patient_id = t.patient_id
    ORDER BY e.need DESC NULLS LAST, lc.contacted_on ASC NULLS FIRST, t.due_on, t.id
    LIMIT %s OFFSET %s
"""


def worklist(user, query: WorklistQuery, *, page: int = 1, today=None):
    """Open tasks due by the horizon, highest need level first, then longest without contact.

    Ordered in one statement that joins each task to its patient's need level (the PCN's
    open enrolments, aggregated once) and last contact (care_lastcontact, kept by a trigger):
    a PCN's worklist holds tens of thousands of due tasks, and a look-up per task for each
    sort key cost more than the rest of the page. Then only the page's tasks are fetched."""
    today = today or timezone.localdate()
    qs = access.care_tasks(user).filter(done_at__isnull=True,
                                        due_on__lte=today + datetime.timedelta(days=query.horizon_days))
    pcn_ids = list(access.care_pcns(user).values_list("pk", flat=True))
    if pcn_ids:
        # A coordinator's worklist is their PCNs' work (a patient seen in two PCNs has each
        # PCN's tasks in its own worklist); it also lets care_open_tasks_by_pcn find the rows.
        qs = qs.filter(pcn_id__in=pcn_ids)
    if query.who == "mine":
        qs = qs.filter(assigned_to=user)
    elif query.who == "queue":
        qs = qs.filter(assigned_to__isnull=True, provider__isnull=True)  # a provider's task is not the team's
    tasks_sql, params = qs.order_by().values("id", "patient_id", "due_on").query.sql_with_params()
    page = max(1, page)
    sql = WORKLIST_ORDER_SQL.format(tasks=tasks_sql, pcn_filter="AND pcn_id = ANY(%s)" if pcn_ids else "")
    with transaction.atomic(), connection.cursor() as cur:
        # The planner costs the scope's OR far above what it takes (an index-only scan of the
        # PCN's open tasks, care_open_tasks_by_pcn_cover), which would have JIT compile the
        # statement on every page (tens of ms spent to save none) and hand it to parallel
        # workers that each build the same hash of the scope's panel (tens of thousands of
        # patients): three times the work on a busy server, for one page of 50.
        cur.execute("SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)")
        cur.execute(sql, [*params, *([pcn_ids] if pcn_ids else []), PAGE_SIZE + 1, (page - 1) * PAGE_SIZE])
        found = cur.fetchall()
    has_next = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    by_id = Task.objects.select_related("patient", "assigned_to", "pcn", "provider").in_bulk([r[0] for r in found])
    rows = []
    for task_id, need, last_contact in found:
        task = by_id[task_id]
        task.need_level, task.last_contact = need, last_contact
        task.overdue_days = (today - task.due_on).days
        task.days_since_contact = (today - last_contact).days if last_contact else None
        rows.append(task)
    return rows, has_next


# --- one patient's record ------------------------------------------------------------------------


def risk_of(patient, *, today=None) -> risk.RiskScore:
    """The patient's risk score from their care profile (or 'not recorded'), with its reasons."""
    today = today or timezone.localdate()
    profile = CareProfile.objects.filter(patient=patient).first()
    if profile is None:
        return risk.score(risk.RiskFacts(date_of_birth=patient.date_of_birth, recorded=False), today=today)
    return risk.score(risk.RiskFacts(
        date_of_birth=patient.date_of_birth, deficits=tuple(profile.deficits), body_systems=tuple(profile.body_systems),
        progressive=profile.progressive, technology_dependent=profile.technology_dependent,
        malignancy=profile.malignancy), today=today)


def patient_record(patient, *, today=None) -> dict:
    today = today or timezone.localdate()
    plan = CarePlan.objects.filter(patient=patient).first()
    versions = list(plan.versions.select_related("saved_by").order_by("-number")) if plan else []
    entry = PanelEntry.objects.filter(patient=patient, ended_at__isnull=True).select_related("provider").first()
    enrolments = list(
        Enrolment.objects.filter(patient=patient).select_related("programme", "enrolled_by", "discharged_by", "pcn")
        .prefetch_related("need_history__by").order_by("discharged_at", "-enrolled_at")
    )
    return {
        "patient": patient,
        "age": risk.age_on(patient.date_of_birth, today),
        "provider": entry.provider if entry else None,
        "enrolments": enrolments,
        "open_enrolments": [e for e in enrolments if e.is_open],
        "risk": risk_of(patient, today=today),
        "profile": CareProfile.objects.filter(patient=patient).select_related("updated_by").first(),
        "plan": plan,
        "versions": versions,
        "latest": versions[0] if versions else None,
        "latest_lines": version_lines(versions[0]) if versions else None,
        "contacts": list(Contact.objects.filter(patient=patient).select_related("by").order_by("-contacted_on", "-id")[:100]),
        "open_tasks": list(Task.objects.filter(patient=patient, done_at__isnull=True).select_related("assigned_to")
                           .order_by("due_on", "id")),
        "done_tasks": list(Task.objects.filter(patient=patient, done_at__isnull=False).select_related("done_by")
                           .order_by("-done_at")[:20]),
    }


# --- plan versions ----------------------------------------------------------------------------------

_GOAL_STATUS, _WHO, _ACTION_STATUS = dict(GOAL_STATUSES), dict(ACTION_WHO), dict(ACTION_STATUSES)


def goal_line(goal: dict) -> str:
    due = f", by {goal['target_date']}" if goal.get("target_date") else ""
    return f"{goal['text']}{due} ({_GOAL_STATUS.get(goal.get('status'), goal.get('status'))})"


def action_line(action: dict) -> str:
    due = f", due {action['due']}" if action.get("due") else ""
    who = _WHO.get(action.get("who"), action.get("who"))
    return f"{action['text']}: {who}{due} ({_ACTION_STATUS.get(action.get('status'), action.get('status'))})"


def carer_line(carer: dict) -> str:
    parts = [carer["name"]]
    if carer.get("relationship"):
        parts.append(f"({carer['relationship']})")
    contact = ", ".join(v for v in (carer.get("phone"), carer.get("email")) if v)
    if contact:
        parts.append(f"· {contact}")
    return " ".join(parts)


def version_lines(version) -> dict:
    return {
        "what_matters": version.what_matters,
        "review_date": version.review_date.isoformat(),
        "goals": [goal_line(g) for g in version.goals],
        "actions": [action_line(a) for a in version.actions],
        "carers": [carer_line(c) for c in version.carers],
    }


def compare(older, newer) -> list[dict]:
    """Two versions side by side, section by section: for lists, which lines were removed,
    kept or added (a changed goal is one line removed and one added)."""
    a, b = version_lines(older), version_lines(newer)
    sections = []
    for key, label in (("what_matters", "What matters to the person"), ("review_date", "Review date")):
        sections.append({"label": label, "kind": "text", "old": a[key], "new": b[key], "changed": a[key] != b[key]})
    for key, label in (("goals", "Goals"), ("actions", "Actions"), ("carers", "Carers")):
        old, new = a[key], b[key]
        lines = [{"text": t, "change": "removed"} for t in old if t not in new]
        lines += [{"text": t, "change": "same"} for t in new if t in old]
        lines += [{"text": t, "change": "added"} for t in new if t not in old]
        sections.append({"label": label, "kind": "list", "lines": lines,
                         "changed": any(line["change"] != "same" for line in lines)})
    return sections
