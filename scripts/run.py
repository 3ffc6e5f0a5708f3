#!/usr/bin/env python3
"""`make run`: the whole of Attach on one machine, for a demo or local work.

Servers first (scripts/services.py: the machine's own or embedded ones), then
migrate, collectstatic and the demo data (once), then together the web server, a
Celery worker and Celery beat, their output prefixed with their names.

The web server is gunicorn, as in docker-compose.yml, not Django's runserver: runserver
opens a thread, and so a database connection kept for CONN_MAX_AGE, per request, and a
few hundred requests took every connection PostgreSQL had. gunicorn's sync workers
answer one request at a time each, so the web holds at most WEB_WORKERS connections.
DEBUG is off, as in production: errors show Attach's own pages, never a traceback, and
whitenoise serves the collected static files.

Ctrl-C stops the three, then the servers this run started. If one of the three dies,
the others are stopped too and we exit non-zero.

Every child runs in a session of its own: a Ctrl-C in the terminal reaches only this
supervisor, which then sends each child exactly one SIGINT to its whole process group
(what a terminal would do). Two would make Celery skip its warm shutdown.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import services  # the sibling script: scripts/ is sys.path[0] when we run as a script

REPO = services.REPO
PYTHON = sys.executable
GRACE_SECONDS = 15  # for Celery's warm shutdown to finish the task in hand
COLORS = {"web": "32", "worker": "36", "beat": "35"}
WEB_WORKERS = int(os.environ.get("ATTACH_WEB_WORKERS", "3"))


class Failure(Exception):
    """Ends the run with exit code 1; its message was printed when it happened."""


def fail(message: str) -> Failure:
    services.say(message)  # at once: before the shutdown that the Failure triggers
    return Failure(message)


class Stop:
    """Set by SIGINT/SIGTERM; a second signal asks for a hard stop."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.hard = False

    def __call__(self, _signum, _frame) -> None:
        if self.requested.is_set():
            self.hard = True
        self.requested.set()


STOP = Stop()
PRINT_LOCK = threading.Lock()


def emit(text: str) -> None:
    with PRINT_LOCK:
        sys.stdout.write(text)
        sys.stdout.flush()


def announce(message: str) -> None:
    emit(f"attach: {message}\n")


class Child:
    """A process whose output lines we print with its name in front."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [PYTHON, *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pump = threading.Thread(target=self._copy_output, daemon=True)
        self.pump.start()

    def _copy_output(self) -> None:
        label = f"{self.name:<7}|"
        if sys.stdout.isatty() and self.name in COLORS:
            label = f"\033[{COLORS[self.name]}m{label}\033[0m"
        for raw in self.process.stdout:
            emit(f"{label} {raw.decode(errors='replace').rstrip()}\n")

    def poll(self) -> int | None:
        return self.process.poll()

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def finish(self) -> None:
        """Wait for the exit and for the last of the output."""
        self.process.wait()
        self.pump.join(timeout=5)


def stop_all(children: list[Child]) -> None:
    """One SIGINT to each process group, then SIGKILL whatever outlives the grace time
    (or at once, on a second Ctrl-C)."""
    for child in children:
        if child.poll() is None:
            child.signal_group(signal.SIGINT)
    deadline = time.monotonic() + GRACE_SECONDS
    while any(c.poll() is None for c in children):
        if STOP.hard or time.monotonic() > deadline:
            for child in children:
                child.signal_group(signal.SIGKILL)
            break
        time.sleep(0.1)
    for child in children:
        child.finish()


def run_steps(steps: dict[str, list[str]], env: dict[str, str]) -> None:
    """Run `manage.py ARGS` for each named step, side by side, to the end; Ctrl-C
    interrupts them."""
    children = {name: Child(name, ["manage.py", *args], env) for name, args in steps.items()}
    while any(child.poll() is None for child in children.values()):
        if STOP.requested.wait(0.1):
            stop_all(list(children.values()))
            return
    for name, child in children.items():
        child.finish()
        if child.poll() != 0:
            command = " ".join(steps[name])
            raise fail(f"`manage.py {command}` {ended(child.poll())}; see above")


def ended(code: int) -> str:
    return f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"


def has_command(name: str) -> bool:
    """Whether an app of the repo defines `manage.py NAME` (cheaper than asking Django)."""
    return any(REPO.glob(f"*/management/commands/{name}.py"))


def demo_logins(env: dict[str, str]) -> list[str]:
    """The lines of `manage.py demo_logins`, or none if it cannot tell."""
    try:
        result = subprocess.run(
            [PYTHON, "manage.py", "demo_logins"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            start_new_session=True,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return result.stdout.splitlines() if result.returncode == 0 else []


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


def supervise(
    children: list[Child], port: int, lookup: threading.Thread, logins: list[str]
) -> None:
    """Show the banner once the web server listens; return when asked to stop, raise
    Failure when a child dies."""
    banner_shown = False
    while not STOP.requested.wait(0.2):
        for child in children:
            if child.poll() is not None:
                raise fail(f"{child.name} {ended(child.poll())}; stopping everything")
        if not banner_shown and not lookup.is_alive() and port_answers(port):
            show_banner(port, logins)
            banner_shown = True


def show_banner(port: int, logins: list[str]) -> None:
    lines = ["", f"Attach is running at http://127.0.0.1:{port}/"]
    if logins:
        lines += ["Demo logins (one per role):", *(f"  {line}" for line in logins)]
    lines += ["Press Ctrl-C to stop.", ""]
    emit("\n".join(f"attach: {line}" if line else "" for line in lines) + "\n")


def child_env(urls: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **urls, "PYTHONUNBUFFERED": "1"}
    env.setdefault("ATTACH_DEMO", "1")  # demo data and logins, password-only staff login
    # Never Django's debug pages (they show settings and data to whoever gets an error);
    # `manage.py runserver` with DEBUG=1 is there for that, by hand.
    env["DEBUG"] = "0"
    return env


def web_command(port: int, workers: int = WEB_WORKERS) -> list[str]:
    """gunicorn's arguments (after the Python executable) for the web on `port`."""
    return [
        "-m", "gunicorn", "attachment.wsgi",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", "sync",
        # A panel file is checked whole within its upload request.
        "--timeout", "120", "--graceful-timeout", str(GRACE_SECONDS),
        "--access-logfile", "-",
        # No proxy in front: no client's X-Forwarded-* is believed.
        "--forwarded-allow-ips", "",
    ]  # fmt: skip


def serve(urls: dict[str, str], port: int) -> int:
    """Prepare the database, then run the three until Ctrl-C (0) or a failure (1)."""
    try:
        prepare(child_env(urls))
        if not STOP.requested.is_set():
            run_app(child_env(urls), port)
    except Failure:
        return 1
    return 0


def prepare(env: dict[str, str]) -> None:
    # collectstatic leaves the database alone, so it runs beside migrate: each Django
    # start costs a second or more, and a second `make run` should be quick.
    run_steps(
        {"migrate": ["migrate", "--noinput"], "static": ["collectstatic", "--noinput", "-v", "0"]},
        env,
    )
    if STOP.requested.is_set():
        return
    if has_command("seed_demo"):
        run_steps({"seed": ["seed_demo", "--if-empty"]}, env)
    else:
        announce("no seed_demo command in this checkout: starting without demo data")


def run_app(env: dict[str, str], port: int) -> None:
    # The logins are asked for while the three start; the banner waits for both.
    logins: list[str] = []
    lookup = threading.Thread(target=lambda: logins.extend(demo_logins(env)), daemon=True)
    if has_command("demo_logins"):
        lookup.start()
    children = [
        Child("web", web_command(port), env),
        Child("worker", ["-m", "celery", "-A", "attachment", "worker", "-l", "info",
                         "--concurrency", "2"], env),
        Child("beat", ["-m", "celery", "-A", "attachment", "beat", "-l", "info",
                       "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"], env),
    ]  # fmt: skip
    try:
        supervise(children, port, lookup, logins)
    finally:
        announce("stopping...")
        stop_all(children)


def main() -> int:
    port = int(os.environ.get("ATTACH_PORT", "8000"))
    if not port_is_free(port):
        services.say(f"port {port} is in use (another `make run`?); free it or set ATTACH_PORT")
        return 2
    try:
        with services.running() as urls:
            # From here on the servers run in their own sessions, out of the
            # terminal's reach: Ctrl-C becomes a request we carry out in order.
            signal.signal(signal.SIGINT, STOP)
            signal.signal(signal.SIGTERM, STOP)
            code = serve(urls, port)
    except services.ServiceError as exc:
        services.say(str(exc))
        return 2
    except KeyboardInterrupt:  # Ctrl-C while the servers were starting
        return 130
    if code == 0:
        announce("stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
