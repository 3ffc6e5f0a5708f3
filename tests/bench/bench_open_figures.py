"""Benchmark of the open monthly figures: the monthly build at provincial scale, and /figures/.

Run:  DATABASE_URL=postgresql://USER@HOST:PORT/ PYTHONPATH=. .venv/bin/python tests/bench/bench_open_figures.py
Not collected by pytest. Makes its own database (tests/bench/benchdb.py:
`attach_bench_open_figures`, migrated, dropped at the end), fills it with
`manage.py seed_demo --patients 200000`, then times the build of the month just ended
(SQL and suppression apart) beside the yardstick of the same run, the nightly snapshot
build of every division, and the median of the public page (20 runs).
Prints, per level (province, health authority, division, community) and measure, the share
of the published cells withheld ("x").
Targets: the monthly build < 600 s (a beat job once a month), the page median < 300 ms; the
province and every health authority withhold none of their monthly figures; divisions withhold
under 10% of their attached and removed cells.
Exits non-zero when a target is missed.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench import benchdb  # noqa: E402

benchdb.own_database("open_figures")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from patients.models import Registration, RegistrationStatusChange  # noqa: E402
from reports import figures, services  # noqa: E402
from reports import suppression as sup  # noqa: E402

HOUSEHOLDS = 200_000
BUILD_TARGET, PAGE_TARGET = 600.0, 0.300
DIVISION_TARGET = 0.10  # the share of a division's attached (monthly) and removed (12 months) cells withheld
RUNS = 20


LEVELS = ["province", "health_authority", "division", "community"]
MEASURES = ["waiting", "new", "attached", "removed", "removed by reason"]


def withheld_shares(data):
    """{level: {measure: (withheld, published-or-withheld)}} over the monthly figures (a
    community's: its stock monthly, its flows over the 12 months)."""
    out = {level: {m: [0, 0] for m in MEASURES} for level in LEVELS}
    reasons = [k for k in data["series"]["p"] if k.startswith("removed_")]
    for a, s in data["series"].items():
        level = data["areas"][a]["level"]
        for measure in MEASURES:
            keys = reasons if measure == "removed by reason" else [measure]
            for k in keys:
                cells = [v for v in s.get(k) or [] if v is not None]
                if not cells and k in s.get("year", {}):
                    cells = [s["year"][k]]  # published over the 12 months only
                out[level][measure][0] += sum(1 for v in cells if v == sup.SECONDARY)
                out[level][measure][1] += len(cells)
    return out


def print_withheld(data):
    shares = withheld_shares(data)
    print("withheld ('x') share of the cells published, per level:")
    print(f"  {'level':<18}" + "".join(f"{m:>20}" for m in MEASURES))
    for level in LEVELS:
        row = "".join(f"{(w / n if n else 0):>12.1%} of {n:<5}" for w, n in (shares[level][m] for m in MEASURES))
        print(f"  {level:<18}{row}")
    return shares


def main():
    started = time.monotonic()
    call_command("seed_demo", patients=HOUSEHOLDS, providers=500, panel_entries=50_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded in {time.monotonic() - started:.0f} s: {Registration.objects.count():,} registrations, "
          f"{RegistrationStatusChange.objects.count():,} status changes")

    started = time.monotonic()
    services.build_snapshots(None)
    yardstick = time.monotonic() - started
    print(f"yardstick: the nightly snapshot build of every division: {yardstick:.1f} s")

    month = figures.last_complete_month()
    started = time.monotonic()
    values, area, children, _ = figures.raw_counts(month)
    sql_seconds = time.monotonic() - started
    small = sum(1 for v in values.values() if sup.is_small(v))
    started = time.monotonic()
    snapshot = figures.build(month)
    build = time.monotonic() - started
    shown = [v for s in snapshot.data["series"].values() for f in figures.FIGURES for v in s[f]]
    shares = print_withheld(snapshot.data)
    # The attacker of the tests, on the figures as published at provincial scale.
    from tests.reports.test_open_figures import attack
    worked_out, pinned = attack(snapshot.data)
    print(f"attacker (every published equation solved, then narrowed by intervals): "
          f"{len(worked_out)} small cells worked out, {len(pinned)} narrowed below {sup.MIN_POSSIBLE} values (target 0)")
    withheld_missed_attack = ["attacker"] if worked_out or pinned else []
    withheld_missed = [f"{level} {measure} {w}/{n} withheld" for level, measure, w, n in (
        (level, m, *shares[level][m]) for level in ("province", "health_authority") for m in MEASURES) if w]
    (wa, na), (wr, nr) = shares["division"]["attached"], shares["division"]["removed"]
    division_share = (wa + wr) / (na + nr) if na + nr else 0
    if division_share >= DIVISION_TARGET:
        withheld_missed.append(f"divisions' attached and removed {division_share:.1%} withheld")
    print(f"targets: the province and every health authority withhold nothing; divisions withhold "
          f"{division_share:.1%} of their attached (monthly) and removed (12 months) cells together, "
          f"target < {DIVISION_TARGET:.0%}: {'met' if not withheld_missed else 'MISSED'}")
    print(f"open figures of {month:%Y-%m}: counts (SQL) {sql_seconds:.1f} s; whole build {build:.1f} s "
          f"({len(values):,} figures, {small:,} from 1 to 9; published: "
          f"{sum(1 for v in shown if v == sup.PRIMARY):,} '<10', {sum(1 for v in shown if v == sup.SECONDARY):,} 'x', "
          f"{sum(1 for v in shown if isinstance(v, int)):,} numbers, {sum(1 for v in shown if v is None):,} not published "
          f"(communities' monthly flows, divisions' monthly joined and removed)) (target < {BUILD_TARGET:.0f} s)")

    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(SECURE_SSL_REDIRECT=False, ALLOWED_HOSTS=["*"], STORAGES=storages):
        client = Client()
        client.get("/figures/")
        times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            assert client.get("/figures/").status_code == 200
            times.append(time.perf_counter() - t0)
    page = statistics.median(times)
    print(f"/figures/ (the province): median {page * 1000:.0f} ms over {RUNS} runs (target < {PAGE_TARGET * 1000:.0f} ms)")
    missed = [name for name, ok in [("build", build < BUILD_TARGET), ("page", page < PAGE_TARGET)] if not ok]
    missed += withheld_missed + withheld_missed_attack
    if missed:
        print(f"MISSED: {', '.join(missed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
