"""Operational behaviour: a missing server gives one clear line; production settings pass --deploy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    # A fresh process with the operator's environment, not the test run's (the browser
    # tests relax Django's async-safety check for their own process only).
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**base, **env},
    )


def test_unreachable_database_is_one_clear_line():
    result = run_manage("migrate", DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "cannot reach PostgreSQL" in lines[0] and "DATABASE_URL" in lines[0]
    assert "Traceback" not in result.stderr


def test_check_deploy_passes_with_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", ATTACH_DEMO="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="attach.example.ca",
    )
    assert result.returncode == 0, result.stdout + result.stderr
