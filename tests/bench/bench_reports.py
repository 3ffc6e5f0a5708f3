"""Benchmark of the reports: whole-province snapshot build, and the dashboard page.

Run:  DATABASE_URL=postgresql://USER@HOST:PORT/ .venv/bin/python -m tests.bench.bench_reports
(or `make bench`). Not collected by pytest. Makes its own database on that server
(tests/bench/benchdb.py: `attach_bench_reports`, migrated, dropped at the end) and fills
it with `manage.py seed_demo --patients 300000 --providers 7000 --panel-entries 5000000`.

Prints the seconds to build every division's snapshot in one go, and the median time of
the dashboard page (Django test Client, 20 runs) of the largest division.
Targets (issue 7): snapshot < 30 s, dashboard median < 300 ms.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench import benchdb  # noqa: E402

benchdb.own_database("reports")

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import override_settings

from attachment.core import roles
from patients.models import Registration
from registries.models import Division, PanelEntry
from reports import selectors, services

REGISTRATIONS, PROVIDERS, PANEL_ENTRIES = 300_000, 7_000, 5_000_000
RUNS = 20


def ensure_seed():
    have = Registration.objects.count()
    if have >= REGISTRATIONS:
        return f"using the existing {have:,} registrations"
    started = time.monotonic()
    call_command("seed_demo", patients=REGISTRATIONS, providers=PROVIDERS, panel_entries=PANEL_ENTRIES)
    return f"seeded in {time.monotonic() - started:.0f} s"


def main():
    print(f"database: {connection.settings_dict['NAME']}")
    print(ensure_seed())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    registrations = Registration.objects.count()
    panel = PanelEntry.objects.count()
    print(f"registrations: {registrations:,}  panel entries: {panel:,}  divisions: {Division.objects.count()}")

    started = time.monotonic()
    snapshots = services.build_snapshots(None)
    snapshot_seconds = time.monotonic() - started
    print(f"whole-province snapshot build ({len(snapshots)} divisions): {snapshot_seconds:.2f} s (target < 30 s)")
    started = time.monotonic()
    selectors.warm(snapshots)
    print(f"suppressing every period view of every division (done by the job after the build): "
          f"{time.monotonic() - started:.2f} s")

    division = (
        Division.objects.annotate(n=Count("registrations")).order_by("-n").first()
    )
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-manager")
    roles.grant_division(user, division, manager=True)
    # The page, not the login machinery: no MFA, no TLS redirect, a host the Client
    # sends, static URLs without a collected manifest.
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(ATTACH_REQUIRE_MFA=False, SECURE_SSL_REDIRECT=False, ALLOWED_HOSTS=["*"], STORAGES=storages):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        for label, params in [
            ("division, 13 weeks by week", {"division": division.pk}),
            ("division, 52 weeks by month", {"division": division.pk, "weeks": 52, "by": "month"}),
            ("division, 52 weeks by week", {"division": division.pk, "weeks": 52, "by": "week"}),
        ]:
            client.get("/reports/", params)  # warm: connection, templates
            times = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                response = client.get("/reports/", params)
                times.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.status_code
            print(f"dashboard page ({division.name}, {label}): median {statistics.median(times) * 1000:.0f} ms "
                  f"over {RUNS} runs (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}) (target < 300 ms)")


if __name__ == "__main__":
    main()
