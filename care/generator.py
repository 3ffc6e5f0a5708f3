"""The task generator: the rules that put due work on the care worklist, run by Celery beat
(`care.tasks.make_due_tasks`) and, for one patient, by the services that change what a rule
reads (an admission, a discharge, a visit), so the task shows at once.

Each rule is set-based: one INSERT … SELECT of the tasks that should exist (skipping any key
ever made: a task done stays done, and a rule never makes it twice; ON CONFLICT DO NOTHING
for two runs at once, held by the one-open-task-per-key index), then one UPDATE closing the
open tasks of that rule that no longer apply (the stay closed, the patient discharged, the
visit past). The wanted set is MATERIALIZED and the UPDATE's anti-join a hashed NOT IN (rule
keys are never NULL): the planner, misjudging the few open tasks of a kind, would otherwise
loop over the wanted set once per open task. A rule's task closed that way has `done_at` set and `done_by` empty; one audit
event per rule run says how many were made and closed.

A patient who left the panel has left the PCN's caseload: the rules make nothing for them and
close what they had open (their stay stays, unseen until they are back on a panel in scope).

Each rule is `rule(today, *, patient_id=None, actor=None) -> (made, closed)`; RULES is the
list beat runs, in order. Add a rule by appending it (referral chases live in their module).

The rules, with their settings (attachment/settings.py, CARE_*):
- hospital-call: in hospital, a call to the family every day of the first CARE_DAILY_CALL_DAYS
  days (day 0 is the day of admission), then one a week; the current call supersedes an
  earlier one left undone.
- discharge-call: a follow-up call within CARE_DISCHARGE_CALL_BUSINESS_DAYS business days
  (Monday to Friday, not a statutory holiday: registries/holidays.py) of the discharge.
- discharge-appt: arrange the follow-up appointment within CARE_FOLLOW_UP_APPOINTMENT_DAYS days.
- get-summary: while the discharge summary has not come, get it from the hospital.
- read-summary: once it has come, the patient's provider reads it within
  CARE_READ_SUMMARY_BUSINESS_DAYS business days (a task for the provider and their delegates).
- pvp-reminder: a visit to plan (the provider said the patient needs pre-visit planning),
  CARE_PVP_REMINDER_DAYS days ahead, until its checklist is complete or the day has passed.
- transition: a child in a programme growing up: start planning the move to adult care at
  CARE_TRANSITION_START_AGE, arrange it six months before CARE_TRANSFER_AGE (BC: 19).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from attachment.core import access, audit
from attachment.core.audit import Actor
from care import staffing
from care.models import PVP_ITEMS
from care.referrals import chase_overdue
from registries import holidays

GENERATOR = "care.tasks.make_due_tasks"


# --- business days (Python and SQL agree; a property test holds them to it) ---------------------


def add_business_days(start: datetime.date, n: int) -> datetime.date:
    """The n-th business day after `start` (Monday to Friday, not a statutory holiday of
    ATTACH_HOLIDAYS); `start` itself for n = 0."""
    near = set(holidays.around(start))
    day = start
    while n > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5 and day not in near:
            n -= 1
    return day


def _business_days_sql(column: str, n: int) -> str:
    """SQL for add_business_days(column, n): the n-th weekday after the date in `column`
    that is not one of %(holidays)s (holidays.around the run's day: _holidays)."""
    n = int(n)
    if n <= 0:
        return column
    span = 2 * n + 14  # enough calendar days to hold n business days, holidays and all
    return (f"(SELECT d::date FROM generate_series(({column} + 1)::timestamp, ({column} + {span})::timestamp,"
            f" interval '1 day') AS d WHERE extract(isodow FROM d) < 6 AND d::date <> ALL(%(holidays)s::date[])"
            f" ORDER BY d OFFSET {n - 1} LIMIT 1)")


def _holidays(today: datetime.date) -> dict:
    return {"holidays": holidays.around(today)}


def hospital_call_due(admitted_on: datetime.date, today: datetime.date, daily_days: int | None = None):
    """The call a stay wants on `today`: (key suffix, due date); None before admission.
    The same rule as the SQL of `hospital_calls`, for the pages and the tests to reason with."""
    daily_days = settings.CARE_DAILY_CALL_DAYS if daily_days is None else daily_days
    day = (today - admitted_on).days
    if day < 0:
        return None
    if day < daily_days:
        return f"d{day}", today
    week = (day - daily_days) // 7
    return f"w{week}", admitted_on + datetime.timedelta(days=daily_days + 7 * week)


# --- running one rule -------------------------------------------------------------------------

_COLUMNS = "patient_id, pcn_id, assigned_to_id, provider_id, kind, rule_key, due_on, title"


def _apply(name: str, prefix: str, kind: str, wanted: str, params: dict, *, patient_id=None, actor=None):
    """Make the tasks `wanted` selects (its columns: _COLUMNS) that were never made, and close
    this rule's open tasks it no longer selects. `wanted` has a {patient} slot for the filter
    to one patient."""
    params = {**params, "patient": patient_id, "prefix": f"{prefix}:%", "kind": kind}
    one = "AND {alias}.patient_id = %(patient)s" if patient_id is not None else ""
    wanted_sql = wanted.format(patient=one.format(alias="src"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""WITH wanted ({_COLUMNS}) AS MATERIALIZED ({wanted_sql})
                INSERT INTO care_task ({_COLUMNS}, created_at)
                SELECT {_COLUMNS}, now() FROM wanted w
                WHERE NOT EXISTS (SELECT 1 FROM care_task t WHERE t.rule_key = w.rule_key AND t.rule_key <> '')
                ON CONFLICT DO NOTHING""",
            params,
        )
        made = cursor.rowcount
        cursor.execute(
            f"""WITH wanted ({_COLUMNS}) AS MATERIALIZED ({wanted_sql})
                UPDATE care_task t SET done_at = now()
                WHERE t.done_at IS NULL AND t.kind = %(kind)s AND t.rule_key LIKE %(prefix)s {one.format(alias="t")}
                  AND t.rule_key NOT IN (SELECT w.rule_key FROM wanted w)""",
            params,
        )
        closed = cursor.rowcount
        if made or closed:
            audit.record(action="update" if closed else "create", object_type="care.Task",
                         object_id=str(patient_id or ""), actor=actor or Actor.task(GENERATOR),
                         summary=f"Task rule {name}: {made} made, {closed} closed"
                                 + (f" for patient {patient_id}" if patient_id else ""))
    return made, closed


def _while_there(column: str) -> str:
    # A rule's task goes to the person in `column` (who recorded the stay, planned the visit,
    # enrolled the child) while they coordinate care in its PCN, else to the team queue
    # (care/staffing.py).
    return f"CASE WHEN {access.care_coordinates_sql(column, 'src.pcn_id')} THEN {column} END"


def _title(text_sql: str) -> str:
    return f"left({text_sql}, 200)"


# A patient who left the panel left the PCN's caseload: their rules' tasks close, none are made.
ON_A_PANEL = ("AND EXISTS (SELECT 1 FROM registries_panelentry e"
              " WHERE e.patient_id = src.patient_id AND e.ended_at IS NULL)")


# --- the rules --------------------------------------------------------------------------------


def hospital_calls(today: datetime.date, *, patient_id=None, actor=None) -> tuple[int, int]:
    daily = settings.CARE_DAILY_CALL_DAYS
    day = "(%(today)s::date - src.admitted_on)"
    wanted = f"""
        SELECT src.patient_id, src.pcn_id, {_while_there('src.recorded_by_id')} AS assigned_to_id, NULL::bigint AS provider_id,
               %(kind)s::varchar AS kind,
               CASE WHEN {day} < %(daily)s::int THEN 'hospital-call:' || src.id || ':d' || {day}
                    ELSE 'hospital-call:' || src.id || ':w' || (({day} - %(daily)s::int) / 7) END AS rule_key,
               CASE WHEN {day} < %(daily)s::int THEN %(today)s::date
                    ELSE src.admitted_on + %(daily)s::int + 7 * (({day} - %(daily)s::int) / 7) END AS due_on,
               {_title(f"CASE WHEN {day} < %(daily)s::int THEN 'Daily call to the family: day ' || ({day} + 1) || ' in ' "
                       f"ELSE 'Weekly call to the family: week ' || ((%(daily)s::int + 7 * (({day} - %(daily)s::int) / 7)) / 7 + 1)"
                       f" || ' in ' END || src.hospital")} AS title
        FROM care_hospitalstay src
        WHERE src.closed_at IS NULL AND src.discharged_on IS NULL AND src.admitted_on <= %(today)s::date
          {ON_A_PANEL} {{patient}}"""
    return _apply("hospital-call", "hospital-call", "hospital_call", wanted, {"today": today, "daily": daily},
                  patient_id=patient_id, actor=actor)


def _discharged(select: str, where: str = "") -> str:
    return f"""
        SELECT src.patient_id, src.pcn_id, {select}
        FROM care_hospitalstay src
        WHERE src.closed_at IS NULL AND src.discharged_on IS NOT NULL {where} {ON_A_PANEL} {{patient}}"""


def discharge_calls(today: datetime.date, *, patient_id=None, actor=None) -> tuple[int, int]:
    due = _business_days_sql("src.discharged_on", settings.CARE_DISCHARGE_CALL_BUSINESS_DAYS)
    wanted = _discharged(f"""{_while_there('src.recorded_by_id')}, NULL::bigint, %(kind)s::varchar, 'discharge-call:' || src.id, {due},
        {_title("'Follow-up call after discharge from ' || src.hospital")}""")
    return _apply("discharge-call", "discharge-call", "discharge_call", wanted, _holidays(today), patient_id=patient_id,
                  actor=actor)


def discharge_appointments(today: datetime.date, *, patient_id=None, actor=None) -> tuple[int, int]:
    wanted = _discharged(f"""{_while_there('src.recorded_by_id')}, NULL::bigint, %(kind)s::varchar, 'discharge-appt:' || src.id,
        src.discharged_on + %(days)s::int,
        {_title("'Arrange the follow-up appointment after ' || src.hospital")}""")
    return _apply("discharge-appt", "discharge-appt", "discharge_appt", wanted,
                  {"days": settings.CARE_FOLLOW_UP_APPOINTMENT_DAYS}, patient_id=patient_id, actor=actor)


def discharge_summaries_to_get(today: datetime.date, *, patient_id=None, actor=None) -> tuple[int, int]:
    due = _business_days_sql("src.discharged_on", settings.CARE_DISCHARGE_CALL_BUSINESS_DAYS)
    wanted = _discharged(f"""{_while_there('src.recorded_by_id')}, NULL::bigint, %(kind)s::varchar, 'get-summary:' || src.id, {due},
        {_title("'Get the discharge summary from ' || src.hospital")}""", "AND NOT src.summary_received")
    return _apply("get-summary", "get-summary", "get_summary", wanted, _holidays(today), patient_id=patient_id,
                  actor=actor)


def discharge_summaries_to_read(today: datetime.date, *, patient_id=None, actor=None) -> tuple[int, int]:
    due = _business_days_sql("src.summary_received_on", settings.CARE_READ_SUMMARY_BUSINESS_DAYS)
    # The provider's task: for whoever is the patient's provider now (an open panel entry).
    wanted = f"""
        SELECT src.patient_id, src.pcn_id, NULL::integer, e.provider_id, %(kind)s::varchar, 'read-summary:' || src.id, {due},
               {_title("'Read the discharge summary from ' || src.hospital")}
        FROM care_hospitalstay src
        JOIN registries_panelentry e ON e.patient_id = src.patient_id AND e.ended_at IS NULL
        WHERE src.closed_at IS NULL AND src.discharged_on IS NOT NULL AND src.summary_received {{patient}}"""
    return _apply("read-summary", "read-summary", "read_summary", wanted, _holidays(today), patient_id=patient_id,
                  actor=actor)


def pvp_reminders(today: datetime.date, *, patient_id=None, actor=None) -> tuple[int, int]:
    wanted = f"""
        SELECT src.patient_id, src.pcn_id, {_while_there('src.created_by_id')}, NULL::bigint, %(kind)s::varchar,
               'pvp-reminder:' || src.id,
               GREATEST(src.visit_on - %(days)s::int, (src.created_at AT TIME ZONE %(tz)s)::date),
               {_title("'Pre-visit planning for the visit on ' || to_char(src.visit_on, 'YYYY-MM-DD')")}
        FROM care_plannedvisit src
        JOIN care_careprofile p ON p.patient_id = src.patient_id AND p.needs_pvp
        WHERE src.cancelled_at IS NULL AND src.visit_on >= %(today)s::date AND src.visit_on - %(days)s::int <= %(today)s::date
          AND (SELECT count(*) FROM jsonb_each(src.checklist) AS item
               WHERE item.key = ANY(%(items)s) AND item.value ->> 'done' = 'true') < %(n_items)s::int
          {ON_A_PANEL} {{patient}}"""
    codes = [code for code, _ in PVP_ITEMS]
    return _apply("pvp-reminder", "pvp-reminder", "pvp_reminder", wanted,
                  {"today": today, "days": settings.CARE_PVP_REMINDER_DAYS, "tz": settings.TIME_ZONE,
                   "items": codes, "n_items": len(codes)}, patient_id=patient_id, actor=actor)


def transitions(today: datetime.date, *, patient_id=None, actor=None) -> tuple[int, int]:
    """A child in a programme (an open enrolment, on a panel) grows up: at
    CARE_TRANSITION_START_AGE a task to start planning the move to adult care, six months
    before CARE_TRANSFER_AGE one to arrange it; both close at the transfer age, or when the
    child leaves every programme of the PCN. One of each per patient and PCN, however many
    programmes; due on the birthday, or on the day of the enrolment if that came later."""
    start, transfer = settings.CARE_TRANSITION_START_AGE, settings.CARE_TRANSFER_AGE
    wanted = f"""
        SELECT src.patient_id, src.pcn_id, {_while_there('src.enrolled_by_id')}, NULL::bigint, %(kind)s::varchar,
               'transition:' || step.name || ':' || src.patient_id || ':' || src.pcn_id, step.due_on,
               {_title("step.title")}
        FROM (SELECT DISTINCT ON (e.patient_id, e.pcn_id) e.patient_id, e.pcn_id, e.enrolled_by_id, e.enrolled_at
              FROM care_enrolment e WHERE e.discharged_at IS NULL
              ORDER BY e.patient_id, e.pcn_id, e.enrolled_at, e.id) src
        JOIN patients_patient p ON p.id = src.patient_id
        CROSS JOIN LATERAL (SELECT (p.date_of_birth + make_interval(years => %(transfer)s))::date AS paediatric_until,
                                   (src.enrolled_at AT TIME ZONE %(tz)s)::date AS enrolled_on) ends
        CROSS JOIN LATERAL (VALUES
            ('start', GREATEST((p.date_of_birth + make_interval(years => %(start)s))::date, ends.enrolled_on),
             'Start planning the move to adult care (turns ' || %(start)s || ')'),
            ('transfer', GREATEST((p.date_of_birth + make_interval(years => %(transfer)s, months => -6))::date,
                                  ends.enrolled_on),
             'Arrange adult care before paediatric care ends on ' || to_char(ends.paediatric_until, 'YYYY-MM-DD'))
        ) AS step (name, due_on, title)
        WHERE step.due_on <= %(today)s::date AND %(today)s::date < ends.paediatric_until
          {ON_A_PANEL} {{patient}}"""
    return _apply("transition", "transition", "transition", wanted,
                  {"today": today, "tz": settings.TIME_ZONE, "start": start, "transfer": transfer},
                  patient_id=patient_id, actor=actor)


HOSPITAL_RULES = [hospital_calls, discharge_calls, discharge_appointments, discharge_summaries_to_get,
                  discharge_summaries_to_read]
RULES: list[Callable[[datetime.date], tuple[int, int]]] = [*HOSPITAL_RULES, pvp_reminders, transitions, chase_overdue]


def run_for_patient(rules, patient_id: int, *, actor=None, today=None) -> tuple[int, int]:
    """Run `rules` for one patient (a service just changed what they read): the task shows at once."""
    today = today or timezone.localdate()
    made = closed = 0
    for rule in rules:
        m, c = rule(today, patient_id=patient_id, actor=actor)
        made, closed = made + m, closed + c
    return made, closed


def make_due_tasks(today=None) -> dict:
    """Run every rule for the province: {rule name: {"made", "closed"}, "made": n, "closed": n,
    "released": tasks of departed coordinators handed to the team queue}.
    Idempotent: a second run the same day makes and closes nothing."""
    today = today or timezone.localdate()
    # First, the tasks of coordinators who have left a PCN go to its team queue.
    released = staffing.release_tasks()
    figures: dict = {}
    for rule in RULES:
        made, closed = rule(today)
        figures[rule.__name__] = {"made": made, "closed": closed}
    made = sum(f["made"] for f in figures.values())
    closed = sum(f["closed"] for f in figures.values())
    figures.update(made=made, closed=closed, released=released)
    return figures
