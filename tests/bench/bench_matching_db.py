"""Benchmark of a whole matching run against the database at provincial scale.

Run:  DATABASE_URL=postgresql://USER@HOST:PORT/ .venv/bin/python -m tests.bench.bench_matching_db [--runs 2]

Not collected by pytest. Makes its own database on that server (tests/bench/benchdb.py:
`attach_bench_matching_db`, migrated, dropped at the end) and loads it with `manage.py
seed_demo --patients 300000 --providers 7000` (panels are kept small: the run never
reads them). Each run is a
real recorded MatchRun: read the waitlist and open capacity, match, write proposals,
take the places. Between runs the proposals are removed and open capacity recomputed
from history (timed too: it is the nightly capacity refresh at scale). Prints seconds
per phase; the promise is a whole run under 30 seconds.
"""

import argparse
import sys
import time

from tests.bench import benchdb

benchdb.own_database("matching_db")

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from attachment.matching.db import run_matching  # noqa: E402
from attachment.workflow.capacity_refresh import recompute_open_capacity  # noqa: E402
from attachment.workflow.models import MatchRun, Offer, Proposal  # noqa: E402
from patients.models import Registration  # noqa: E402
from providers.models import Provider  # noqa: E402

WAITING = 300_000
PROVIDERS = 7_000
LIMIT_SECONDS = 30.0


def ensure_data():
    waiting = Registration.objects.filter(status="waiting").count()
    providers = Provider.objects.count()
    if waiting >= WAITING and providers >= PROVIDERS:
        print(f"{waiting:,} waiting registrations and {providers:,} providers present")
        return
    print(f"{waiting:,} waiting registrations, {providers:,} providers present; seeding "
          f"--patients {WAITING:,} --providers {PROVIDERS:,} ...", flush=True)
    started = time.perf_counter()
    call_command("seed_demo", patients=WAITING, providers=PROVIDERS, panel_entries=20_000)
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def reset():
    """Undo earlier benchmark runs: no open proposals, capacity as history says.

    The demo story seed_demo tells sends a few offers; they and their proposals stay
    (offers protect their proposals), every other proposal and run goes."""
    Proposal.objects.exclude(pk__in=Offer.objects.values("proposal"))._raw_delete(Proposal.objects.db)
    MatchRun.objects.filter(proposals__isnull=True).delete()
    started = time.perf_counter()
    report = recompute_open_capacity()
    return time.perf_counter() - started, report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    ensure_data()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    worst = 0.0
    for i in range(1, args.runs + 1):
        refresh_seconds, report = reset()
        run = MatchRun.objects.create(parameters={"division": None, "community": None})
        started = time.perf_counter()
        run_matching(run)
        total = time.perf_counter() - started
        worst = max(worst, total)
        f = run.figures
        phases = ", ".join(f"{k} {v:.2f}" for k, v in f["seconds"].items())
        print(f"run {i}: {f['registrations']:,} waiting registrations, {f['providers']:,} providers with room; "
              f"{f['proposed']:,} proposed ({f['people']:,} people)")
        print(f"  seconds: {phases}; whole run {total:.2f}")
        print(f"  capacity refresh before the run: {refresh_seconds:.2f} s ({report.summary})")
    print(f"worst whole run {worst:.2f} s (limit {LIMIT_SECONDS:.0f} s): {'OK' if worst < LIMIT_SECONDS else 'TOO SLOW'}")
    return 0 if worst < LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
