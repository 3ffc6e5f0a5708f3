"""Benchmark of the care task generator (care/generator.py) for the whole province.

Run:  PYTHONPATH=. .venv/bin/python tests/bench/bench_care_generator.py   (not collected by pytest)
Makes its own database (tests/bench/benchdb.py: `attach_bench_care_generator`, migrated,
dropped at the end), seeds a province's panels (`seed_demo --panel-entries 200000`), then,
set-based: 20,000 hospital stays (1,500 in hospital, 2,500 just home, the rest closed),
6,000 visits being planned for patients who need PVP, and 400,000 tasks already made (done)
for the rules' "never make a key twice" to look through.

Prints the seconds of: beat's first run of the day (making everything due), a second run
the same day (nothing to do: idempotent), the next morning's run (each daily call superseded),
and, as the yardstick measured in the same run, one plain INSERT … SELECT of a task per open
stay (the least any set-based generator does). Target (issue 12): the province in < 30 s.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench import benchdb  # noqa: E402

benchdb.own_database("care_generator")

import datetime  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from care import generator  # noqa: E402
from care.models import Task  # noqa: E402

TARGET_SECONDS = 30
STAYS, IN_HOSPITAL, JUST_HOME, VISITS, DONE_TASKS = 20_000, 1_500, 2_500, 6_000, 400_000


def seed():
    started = time.monotonic()
    call_command("seed_demo", patients=2000, providers=400, panel_entries=200_000, verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM registries_pcn ORDER BY id LIMIT 1")
        pcn = cur.fetchone()[0]
        cur.execute("SELECT id FROM auth_user WHERE username = 'care-coordinator'")
        user = cur.fetchone()[0]
        # Stays of distinct panel patients: the first IN_HOSPITAL still in, the next JUST_HOME home, the rest closed.
        cur.execute(f"""
            INSERT INTO care_hospitalstay (patient_id, pcn_id, hospital, admitted_on, reason, discharged_on,
                summary_received, summary_received_on, discharge_note, closed_at, close_reason, recorded_by_id,
                recorded_at)
            SELECT e.patient_id, {pcn}, 'Royal Inland Hospital', adm, 'Bench admission',
                   CASE WHEN n <= {IN_HOSPITAL} THEN NULL ELSE adm + (n % 12) END,
                   n > {IN_HOSPITAL} AND n % 2 = 0, CASE WHEN n > {IN_HOSPITAL} AND n % 2 = 0 THEN adm + (n % 12) END, '',
                   CASE WHEN n > {IN_HOSPITAL + JUST_HOME} THEN now() END,
                   CASE WHEN n > {IN_HOSPITAL + JUST_HOME} THEN 'Followed up' ELSE '' END, {user}, now()
            FROM (SELECT patient_id, row_number() OVER (ORDER BY patient_id)::int AS n FROM registries_panelentry
                  WHERE ended_at IS NULL AND patient_id NOT IN (SELECT patient_id FROM care_hospitalstay)
                  LIMIT {STAYS}) e,
                 LATERAL (SELECT current_date - CASE WHEN e.n <= {IN_HOSPITAL} THEN (e.n % 40)
                                                     WHEN e.n <= {IN_HOSPITAL + JUST_HOME} THEN 12 + (e.n % 3)
                                                     ELSE 20 + (e.n % 380) END AS adm) a""")
        cur.execute(f"""
            INSERT INTO care_careprofile (patient_id, diagnoses, deficits, body_systems, progressive,
                technology_dependent, malignancy, needs_pvp, risk_category, updated_at)
            SELECT patient_id, 'bench', '{{}}', '{{}}', false, false, false, true, 'unknown', now()
            FROM registries_panelentry WHERE ended_at IS NULL
              AND patient_id NOT IN (SELECT patient_id FROM care_careprofile)
            ORDER BY patient_id DESC LIMIT {VISITS}""")
        cur.execute(f"""
            INSERT INTO care_plannedvisit (patient_id, provider_id, pcn_id, visit_on, purpose, checklist, created_at,
                                           created_by_id)
            SELECT p.patient_id, e.provider_id, {pcn}, current_date + (row_number() OVER () % 30)::int, '', '{{}}',
                   now() - interval '20 days', {user}
            FROM care_careprofile p JOIN registries_panelentry e ON e.patient_id = p.patient_id AND e.ended_at IS NULL
            WHERE p.diagnoses = 'bench'""")
        cur.execute(f"""
            INSERT INTO care_task (patient_id, pcn_id, title, kind, due_on, rule_key, created_at, done_at)
            SELECT NULL, {pcn}, 'Old task', 'call', current_date - 100, 'bench-old:' || g, now(), now()
            FROM generate_series(1, {DONE_TASKS}) g""")
        cur.execute("ANALYZE")
    return time.monotonic() - started


def timed(label, today):
    started = time.monotonic()
    figures = generator.make_due_tasks(today)
    seconds = time.monotonic() - started
    print(f"{label}: {seconds:.2f} s, {figures['made']:,} made, {figures['closed']:,} closed "
          f"(target < {TARGET_SECONDS} s)")
    return seconds, figures


def yardstick():
    """One plain INSERT … SELECT of a task per open stay, rolled back."""
    with transaction.atomic(), connection.cursor() as cur:
        started = time.monotonic()
        cur.execute("""INSERT INTO care_task (patient_id, pcn_id, title, kind, due_on, rule_key, created_at)
                       SELECT patient_id, pcn_id, 'Yardstick', 'call', current_date, 'yard:' || id, now()
                       FROM care_hospitalstay WHERE closed_at IS NULL""")
        rows, seconds = cur.rowcount, time.monotonic() - started
        transaction.set_rollback(True)
    print(f"yardstick: plain INSERT … SELECT of {rows:,} tasks (one per open stay): {seconds:.3f} s")
    return seconds


def main():
    print(f"database: {connection.settings_dict['NAME']}; seeded in {seed():.0f} s")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FILTER (WHERE closed_at IS NULL AND discharged_on IS NULL),"
                    " count(*) FILTER (WHERE closed_at IS NULL AND discharged_on IS NOT NULL), count(*)"
                    " FROM care_hospitalstay")
        in_hospital, home, stays = cur.fetchone()
    print(f"stays: {stays:,} ({in_hospital:,} in hospital, {home:,} home, follow-up open); "
          f"visits being planned: {VISITS:,}; tasks already: {Task.objects.count():,}")
    today = timezone.localdate()
    yard = yardstick()
    first, made = timed("first run of the day (the province)", today)
    second, again = timed("second run the same day (idempotent)", today)
    third, _ = timed("next morning (daily calls superseded)", today + datetime.timedelta(days=1))
    ok = max(first, second, third) < TARGET_SECONDS and again["made"] == 0 and again["closed"] == 0 and made["made"] > 0
    print(f"slowest run {max(first, second, third):.2f} s = {max(first, second, third) / max(yard, 1e-6):.0f}× the "
          f"yardstick; {'OK' if ok else 'MISSED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
