"""Each benchmark runs on a database of its own, made, migrated and dropped by itself.

    from tests.bench import benchdb
    benchdb.own_database("reports")   # before anything touches Django's models

DATABASE_URL names the server (user, host, port; its database name is ignored): on it
the benchmark creates `attach_bench_<name>` (dropping a leftover of an earlier run
first), points Django at it, sets Django up and migrates. The database is dropped when
the process ends, by an exception, sys.exit, Ctrl-C or SIGTERM included, unless
`ATTACH_BENCH_KEEP=1`. So `make bench` needs nothing prepared by hand and never reads
or writes development or test data.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_url(database: str) -> str:
    """DATABASE_URL (or the local server) with its database name replaced."""
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_SERVER)
    return urlunsplit(parts._replace(path=f"/{database}"))


def own_database(name: str, *, migrate: bool = True) -> str:
    """Create the benchmark's database, set Django up on it; returns its name."""
    import psycopg
    from psycopg import sql

    database = f"attach_bench_{name}"
    admin = server_url("postgres")
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))

    def drop() -> None:
        if os.environ.get("ATTACH_BENCH_KEEP") == "1":
            print(f"kept database {database} (ATTACH_BENCH_KEEP=1)")
            return
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not have started; drop regardless
            pass
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        print(f"dropped database {database}")

    atexit.register(drop)
    # atexit runs on an exception, sys.exit and Ctrl-C (KeyboardInterrupt), not on a bare
    # SIGTERM: turn that into an exit as well.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    os.environ["DATABASE_URL"] = server_url(database)
    # Its own cache keys too: a `make run` on the same Redis keeps its own.
    os.environ["CACHE_KEY_PREFIX"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attachment.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        print(f"database {database}: created, migrating...", flush=True)
        call_command("migrate", verbosity=0)
    return database
