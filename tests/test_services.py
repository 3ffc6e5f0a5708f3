"""scripts/services.py, driven as a person or CI would: through its command line.

No Django database here: these tests start (or fail to reach) servers themselves.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parent.parent / "scripts" / "services.py"

# Runs inside `services.py exec`: proves both servers answer, and reports who they are
# so the test can check afterwards that they are gone.
PROBE = """
import json, os, pathlib, psycopg, redis
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    assert conn.execute("SELECT 1").fetchone() == (1,)
    database = conn.execute("SELECT current_database()").fetchone()[0]
    port = int(conn.execute("SHOW port").fetchone()[0])
pid_file = pathlib.Path(os.environ["ATTACH_DATA_DIR"], "postgres", "postmaster.pid")
client = redis.Redis.from_url(os.environ["REDIS_URL"])
assert client.ping()
print(json.dumps({
    "database": database,
    "pg_port": port,
    "pg_pid": int(pid_file.read_text().split()[0]),
    "redis_port": client.connection_pool.connection_kwargs["port"],
    "redis_pid": client.info("server")["process_id"],
}))
"""


def run_services(*args: str, env: dict[str, str], timeout: float = 120):
    return subprocess.run(
        [sys.executable, str(SERVICES), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, **extra}


def gone(pid: int, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


@pytest.fixture
def data_dir():
    # Not pytest's tmp_path: its parent is private to root (0700), and pytest resets
    # that mode, while the embedded PostgreSQL runs as another user when we are root.
    path = Path(tempfile.mkdtemp(prefix="attach-services-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_exec_starts_embedded_servers_and_stops_them(data_dir):
    env = clean_env(ATTACH_EMBEDDED="1", ATTACH_DATA_DIR=str(data_dir))

    result = run_services("exec", "--", sys.executable, "-c", PROBE, env=env)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["database"] == "attach"
    # The machine's own servers (5432, 6379) were not used.
    assert seen["pg_port"] != 5432
    assert seen["redis_port"] != 6379
    assert (data_dir / "postgres" / "PG_VERSION").read_text().strip().isdigit()
    assert gone(seen["pg_pid"]) and gone(seen["redis_pid"])
    assert refuses(seen["pg_port"]) and refuses(seen["redis_port"])
    assert "Traceback" not in result.stderr


def test_exec_returns_the_command_exit_code_and_keeps_the_data(data_dir):
    env = clean_env(ATTACH_EMBEDDED="1", ATTACH_DATA_DIR=str(data_dir))
    make_table = "import os, psycopg; psycopg.connect(os.environ['DATABASE_URL'], autocommit=True)"
    make_table += ".execute('CREATE TABLE kept (id int)')"
    assert run_services("exec", "--", sys.executable, "-c", make_table, env=env).returncode == 0

    read_back = "import os, sys, psycopg; psycopg.connect(os.environ['DATABASE_URL'])"
    read_back += ".execute('SELECT * FROM kept'); sys.exit(3)"
    result = run_services("exec", "--", sys.executable, "-c", read_back, env=env)

    assert result.returncode == 3, result.stderr
    assert "creating" not in result.stderr  # no second initdb


def test_exec_forwards_sigterm_and_still_stops_the_servers(data_dir):
    env = clean_env(ATTACH_EMBEDDED="1", ATTACH_DATA_DIR=str(data_dir))
    supervisor = subprocess.Popen(
        [sys.executable, str(SERVICES), "exec", "--", "sleep", "60"],
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    pid_file = data_dir / "postgres" / "postmaster.pid"
    deadline = time.monotonic() + 60
    while not (data_dir / "redis" / "port").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    pg_pid = int(pid_file.read_text().split()[0])

    supervisor.send_signal(signal.SIGTERM)

    assert supervisor.wait(30) == 128 + signal.SIGTERM
    assert gone(pg_pid)
    assert not pid_file.exists()  # a clean shutdown removes it


def test_unreachable_database_url_is_one_line_and_exit_2():
    env = clean_env(DATABASE_URL="postgresql://postgres@127.0.0.1:9/attach")

    result = run_services("exec", "--", "true", env=env, timeout=30)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL=postgresql://postgres@127.0.0.1:9/attach" in lines[0]
    assert result.stdout == ""


def test_env_names_what_is_missing_when_nothing_runs(data_dir):
    env = clean_env(ATTACH_EMBEDDED="1", ATTACH_DATA_DIR=str(data_dir))

    result = run_services("env", env=env, timeout=30)

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no PostgreSQL running" in result.stderr
