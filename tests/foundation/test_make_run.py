"""`make run`'s web server: a bounded pool of gunicorn workers, DEBUG off, static files served.

The server is started exactly as scripts/run.py starts it (its web_command and
child_env), against the test database, and hit with many concurrent requests while
pg_stat_activity is watched: Django's runserver opened a thread and kept a connection
per request, so a few hundred requests exhausted PostgreSQL.
"""

import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import run  # noqa: E402  (scripts/run.py)

WORKERS = 3
# The server's connections are told apart from any other client of the test database
# (this process's threads, earlier tests) by their application_name.
APP_NAME = "attach-make-run-test"
REQUESTS, AT_ONCE = 60, 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


@pytest.fixture
def make_run_web(transactional_db, tmp_path):
    """The web of `make run`, on a free port, serving the test database."""
    name = settings.DATABASES["default"]["NAME"]
    env = run.child_env({"DATABASE_URL": f"{server_url(name)}?application_name={APP_NAME}",
                         "REDIS_URL": settings.REDIS_URL})
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env["STATIC_ROOT"] = str(tmp_path / "static")
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert collected.returncode == 0, collected.stderr
    port = free_port()
    log = (tmp_path / "web.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, *run.web_command(port, workers=WORKERS)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not run.port_answers(port):
            assert process.poll() is None, (tmp_path / "web.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield base, name
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def connections_to(name: str, watcher: psycopg.Connection) -> int:
    return watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
        (name, APP_NAME),
    ).fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_make_run_web_holds_a_bounded_number_of_connections(make_run_web):
    base, name = make_run_web
    assert run.web_command(8000)[:2] == ["-m", "gunicorn"]
    peak, done = [0], threading.Event()
    def watch():
        with psycopg.connect(server_url("postgres"), autocommit=True) as watcher:
            while not done.is_set():
                peak[0] = max(peak[0], connections_to(name, watcher))
                time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(AT_ONCE) as pool:
            statuses = list(pool.map(lambda _: get(f"{base}/healthz")[0], range(REQUESTS)))
    finally:
        done.set()
        watcher.join()
    assert statuses == [200] * REQUESTS
    with psycopg.connect(server_url("postgres"), autocommit=True) as after:
        left = connections_to(name, after)
    assert 1 <= peak[0] <= WORKERS, peak[0]
    assert left <= WORKERS


@pytest.mark.django_db(transaction=True)
def test_make_run_web_serves_static_files_and_its_own_error_pages(make_run_web):
    base, _ = make_run_web
    status, css = get(f"{base}/static/css/attach.css")
    assert status == 200 and css.strip()
    status, page = get(f"{base}/no-such-page/")
    assert status == 404
    assert "Page not found" in page and 'href="/"' in page
    # DEBUG is off: not Django's technical 404, which lists every URL pattern.
    assert "URLconf" not in page and "Traceback" not in page and "DEBUG = True" not in page
