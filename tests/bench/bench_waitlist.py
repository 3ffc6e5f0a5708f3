"""Benchmark of the coordinators' waitlist at provincial scale (300,000 registrations).

Run:  DATABASE_URL=postgresql://USER@HOST:PORT/ .venv/bin/python -m tests.bench.bench_waitlist [--runs 20]

Not collected by pytest (the name does not start with test_). Makes its own database on
that server (tests/bench/benchdb.py: `attach_bench_waitlist`, migrated, dropped at the
end), loads 300,000 registrations into it with `manage.py seed_demo`, then times, through Django's test Client logged in as a coordinator of
the division containing Surrey, the first page and filtered / searched pages: median
and 90th percentile in milliseconds, each over `--runs` requests after a warm-up.
"""

import argparse
import math
import os
import statistics
import sys
import time

from tests.bench import benchdb

benchdb.own_database("waitlist")

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from attachment.core import roles
from patients.models import Patient, Registration
from registries.models import Community

TARGET = 300_000
COORDINATOR = "bench-coordinator"


def ensure_data():
    have = Registration.objects.count()
    if have >= TARGET:
        print(f"{have:,} registrations present")
        return
    # seed_demo adds a quarter as many again as history (attached / withdrawn).
    waiting = math.ceil((TARGET - have) / 1.25)
    print(f"{have:,} registrations present; seeding {waiting:,} waiting households (+25% history) ...", flush=True)
    started = time.perf_counter()
    call_command("seed_demo", patients=waiting, providers=150, panel_entries=20_000)
    # A bulk load leaves the trigram index's pending list full and the visibility map
    # empty; autovacuum tidies both within minutes in service. Do it now, not mid-run.
    with connection.cursor() as cur:
        for table in ("patients_registration", "patients_patient"):
            cur.execute(f"VACUUM ANALYZE {table}")
    print(f"seeded in {time.perf_counter() - started:.0f} s; now {Registration.objects.count():,} registrations")


def coordinator_client(division) -> Client:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=COORDINATOR, defaults={"email": "bench@example.org"})
    roles.grant_division(user, division, coordinator=True)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def scenarios(division):
    surrey = Community.objects.get(name="Surrey")
    sample = Registration.objects.filter(division=division, status="waiting").order_by("id")[1000]
    person = Patient.objects.filter(registration=sample).first()
    common = (
        Patient.objects.filter(registration__division=division).values_list("last_name", flat=True).first()
        or "Singh"
    )
    return [
        ("first page (open, by priority)", {}),
        ("page 20", {"page": "20"}),
        ("sorted by longest wait", {"sort": "wait"}),
        ("community = Surrey", {"community": str(surrey.pk)}),
        ("factor = pregnancy", {"factor": "pregnancy"}),
        ("factor = palliative, sorted by wait", {"factor": "palliative", "sort": "wait"}),
        ("language = Punjabi", {"language": "pa"}),
        ("waited > 365 days", {"waited_days": "365"}),
        ("suspended only", {"suspended": "yes"}),
        ("status = withdrawn", {"status": "withdrawn"}),
        ("community + factor + language", {"community": str(surrey.pk), "factor": "chronic_condition", "language": "pa"}),
        (f"search last name '{common}'", {"q": common}),
        (f"search '{person.first_name} {person.last_name}'", {"q": f"{person.first_name} {person.last_name}"}),
        ("search name, no match", {"q": "Thistlewood"}),
        ("search PHN", {"q": person.phn}),
        ("search reference code", {"q": sample.reference_code}),
        ("search phone", {"q": sample.phone}),
    ]


def measure(client, params, runs):
    for _ in range(2):  # warm caches and the connection
        response = client.get("/waitlist/", params, secure=True)
        assert response.status_code == 200, response.status_code
    times, sql = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/waitlist/", params, secure=True)
            times.append((time.perf_counter() - started) * 1000)
        sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        assert response.status_code == 200
    times.sort()
    p90 = times[max(0, math.ceil(0.9 * len(times)) - 1)]
    rows = response.content.decode().count('<tr>\n      <td><a href="/waitlist/')
    return statistics.median(times), p90, statistics.median(sql), rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.ATTACH_REQUIRE_MFA = False
    # Production settings want collected static files; the benchmark times views, not assets.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    print(f"database {connection.settings_dict['NAME']}")
    ensure_data()
    division = Community.objects.get(name="Surrey").division
    open_count = Registration.objects.filter(division=division, status__in=Registration.OPEN_STATUSES).count()
    print(f"coordinator of {division} ({open_count:,} open registrations); {args.runs} runs each\n")
    client = coordinator_client(division)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print(f"{'page':<48} {'median ms':>10} {'p90 ms':>8} {'SQL ms':>7} {'rows':>5}")
    worst = 0.0
    for name, params in scenarios(division):
        median, p90, sql, rows = measure(client, params, args.runs)
        worst = max(worst, median)
        print(f"{name:<48} {median:>10.1f} {p90:>8.1f} {sql:>7.1f} {rows:>5}", flush=True)
    print(f"\nslowest median {worst:.1f} ms (target < 200 ms); load average now {os.getloadavg()[0]:.1f}")
    print("SQL ms: median time in the database per request (session, user, scope, page, members, audit).")
    return 0 if worst < 200 else 1


if __name__ == "__main__":
    sys.exit(main())
