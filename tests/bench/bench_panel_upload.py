"""Benchmark: a 1,000,000-row panel file through the upload path, beside PostgreSQL's bare COPY.

    .venv/bin/python -m tests.bench.bench_panel_upload [--rows N] [--keep-db]

Runs against its own database (`<DATABASE_URL's name>_bench`, dropped and re-created),
so it never touches development or test data. The upload goes through exactly what the
page and the Celery task run: `registries.services.create_upload` (check the whole
file, compare with the registry, store it) and `registries.services.load_upload` (the
task's service, run inline). The bare COPY loads the same bytes into a table with no
index, constraint or validation: the floor for getting the file into PostgreSQL.
"""

import argparse
import datetime
import os
import random
import sys
import tempfile
import time
from pathlib import Path


def database_urls():
    import dj_database_url

    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/attach")
    cfg = dj_database_url.parse(base)
    name = f"{cfg['NAME']}_bench"
    root = base.rsplit("/", 1)[0]
    return f"{root}/postgres", f"{root}/{name}", name


def recreate_database(admin_url, name):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def write_file(path: Path, rows: int) -> int:
    from registries.phn import make_phn

    rng = random.Random(5)
    last = ["Singh", "Nguyen", "Smith", "Brown", "Wong", "Martin", "O'Neil", "Lee", "Gill", "Tremblay", "Chen", "Dhaliwal"]
    first = ["Amrit", "Mei", "John", "Sarah", "Ava", "Liam", "Noah", "Priya", "Olivia", "Raj", "Chloé", "Harpreet"]
    letters = "ABCEGHJKLMNPRSTVXY"
    serial, written = 10_000_000, 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("phn,last_name,first_name,date_of_birth,gender,postal_code,last_visit\r\n")
        while written < rows:
            phn = make_phn(serial)
            serial += 1
            if phn is None:
                continue
            dob = datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randrange(33_000))
            visit = "" if rng.random() < 0.2 else (datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(600))).isoformat()
            postal = f"V{rng.randrange(10)}{rng.choice(letters)} {rng.randrange(10)}{rng.choice(letters)}{rng.randrange(10)}"
            fh.write(f"{phn},{rng.choice(last)},{rng.choice(first)},{dob.isoformat()},{rng.choice('FMX')},{postal},{visit}\r\n")
            written += 1
    return path.stat().st_size


def bare_copy_seconds(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_copy")
        cursor.execute(
            "CREATE TABLE bench_bare_copy (phn text, last_name text, first_name text, date_of_birth date,"
            " gender text, postal_code text, last_visit date)"
        )
        started = time.perf_counter()
        with cursor.copy("COPY bench_bare_copy FROM STDIN (FORMAT csv, HEADER)") as copy, path.open("rb") as fh:
            while block := fh.read(1 << 20):
                copy.write(block)
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_bare_copy")
        loaded = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_bare_copy")
    return elapsed, loaded


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep-db", action="store_true", help="leave the bench database behind")
    args = parser.parse_args()

    admin_url, bench_url, bench_name = database_urls()
    recreate_database(admin_url, bench_name)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attachment.settings")
    tmp = Path(tempfile.mkdtemp(prefix="attach-bench-"))
    os.environ["MEDIA_ROOT"] = str(tmp / "media")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from providers.models import Clinic, Provider
    from registries import services
    from registries.models import Community, PanelEntry, PanelUpload

    print(f"database {bench_name}: migrating…", flush=True)
    call_command("migrate", verbosity=0)

    path = tmp / "panel.csv"
    t = time.perf_counter()
    size = write_file(path, args.rows)
    print(f"generated {args.rows:,} rows ({size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f}s", flush=True)

    clinic = Clinic.objects.create(name="Bench Clinic", community=Community.objects.get(name="Kamloops"), address="1 Bench Rd")
    provider = Provider.objects.create(kind="FP", practitioner_number="B0001", first_name="Bench", last_name="Mark")
    provider.clinics.add(clinic)

    # One sample of a two-second COPY on a shared machine swings by half: the median of three
    # (first, between and after the upload) is the yardstick.
    copies = [bare_copy_seconds(path)]
    copied = copies[0][1]
    print(f"bare COPY: {copied:,} rows in {copies[0][0]:.2f}s", flush=True)

    data = path.read_bytes()
    check_steps = {}
    t = time.perf_counter()
    upload = services.create_upload(provider, data=data, file_name="panel.csv", timings=check_steps)
    check_s = time.perf_counter() - t
    print(f"check (parse, validate, compare, store): {check_s:.2f}s; {upload.rows_valid:,} valid of {upload.rows_read:,}")
    for name, spent in check_steps.items():
        print(f"    {name:<40} {spent:6.2f}s")

    copies.append(bare_copy_seconds(path))
    # What the page's "Load the valid rows" button does, minus the broker: the task's service, inline.
    PanelUpload.objects.filter(pk=upload.pk).update(status=PanelUpload.Status.LOADING)
    load_steps = {}
    t = time.perf_counter()
    upload = services.load_upload(upload.pk, progress=lambda percent, phase: None, timings=load_steps)
    load_s = time.perf_counter() - t
    entries = PanelEntry.objects.filter(provider=provider, ended_at__isnull=True).count()
    assert upload.status == "loaded" and entries == args.rows, (upload.status, entries)
    print(f"load (the Celery task's service, inline): {load_s:.2f}s")
    for name, spent in load_steps.items():
        print(f"    {name:<40} {spent:6.2f}s")

    # The same file again: a no-op, and how long it takes to find that out.
    again = services.create_upload(provider, data=data, file_name="panel.csv")
    PanelUpload.objects.filter(pk=again.pk).update(status=PanelUpload.Status.LOADING)
    t = time.perf_counter()
    again = services.load_upload(again.pk, progress=lambda percent, phase: None)
    again_s = time.perf_counter() - t
    assert again.rows_loaded == 0 and PanelEntry.objects.count() == args.rows, again.report.get("load")
    print(f"same file again: {again.report['load']} in {again_s:.2f}s (load only)")

    copies.append(bare_copy_seconds(path))
    samples = sorted(seconds for seconds, _ in copies)
    copy_s = samples[1]
    total = check_s + load_s
    print()
    print(f"{'machine load (1, 5, 15 min)':<34}{' '.join(f'{x:.2f}' for x in os.getloadavg()):>12}")
    print(f"{'rows':<34}{args.rows:>12,}")
    print(f"{'bare COPY (median of 3)':<34}{copy_s:>11.2f}s {copied / copy_s:>12,.0f} rows/s"
          f"  (samples {', '.join(f'{x:.2f}' for x in samples)}s)")
    print(f"{'upload: check only (page)':<34}{check_s:>11.2f}s {args.rows / check_s:>12,.0f} rows/s  {check_s / copy_s:5.1f}x COPY")
    print(f"{'upload: load only (task)':<34}{load_s:>11.2f}s {args.rows / load_s:>12,.0f} rows/s  {load_s / copy_s:5.1f}x COPY")
    print(f"{'upload: check + load (page path)':<34}{total:>11.2f}s {args.rows / total:>12,.0f} rows/s  {total / copy_s:5.1f}x COPY")
    print("target: upload at most 2x the bare COPY")

    connection.close()
    if not args.keep_db:
        recreate_database(admin_url, bench_name)
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
