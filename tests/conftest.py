import time

import pytest
from django.db import connection

from attachment.core import roles
from providers.models import ClinicMembership, Delegation
from registries.models import Division
from tests.factories import ClinicFactory, ProviderFactory, UserFactory, community

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Geography, role groups, care programmes and referral types come from data migrations; a transactional test's flush
    removes them, so put them back for any test that uses the database."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        names.add("transactional_db")
    if not names & {"db", "transactional_db", "live_server"} and marker is None:
        return
    request.getfixturevalue("transactional_db" if names & {"transactional_db", "live_server"} else "db")
    from registries.models import Community

    if not Community.objects.exists():
        from registries.geography_data import load
        from registries.models import PCN, Division, HealthAuthority

        load(HealthAuthority, Division, PCN, Community)
        roles.ensure_groups()
    from care.models import Programme

    if not Programme.objects.exists():
        from care.programmes import load as load_programmes

        load_programmes(Programme)
    from care.models import ReferralType

    if not ReferralType.objects.exists():
        from care.referral_types import load as load_referral_types

        load_referral_types(ReferralType)


@pytest.fixture(autouse=True)
def _no_mfa_by_default(settings):
    # MFA enforcement has its own tests; elsewhere staff log in with a password only.
    settings.ATTACH_REQUIRE_MFA = False


@pytest.fixture
def kamloops():
    return community("Kamloops")


@pytest.fixture
def thompson(kamloops) -> Division:
    return kamloops.division


@pytest.fixture
def other_division() -> Division:
    return community("Victoria").division


@pytest.fixture
def coordinator(db, thompson):
    user = UserFactory(username="coordinator")
    roles.grant_division(user, thompson, coordinator=True)
    return user


@pytest.fixture
def other_coordinator(db, other_division):
    user = UserFactory(username="victoria-coordinator")
    roles.grant_division(user, other_division, coordinator=True)
    return user


@pytest.fixture
def manager(db, thompson):
    user = UserFactory(username="manager")
    roles.grant_division(user, thompson, manager=True)
    return user


@pytest.fixture
def administrator(db):
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    roles.add_role(user, roles.ADMINISTRATOR)
    return user


@pytest.fixture
def clinic(db, kamloops):
    return ClinicFactory(community=kamloops, name="Kamloops Family Practice")


@pytest.fixture
def provider(db, clinic):
    return ProviderFactory(clinic=clinic, last_name="Singh", first_name="Amrit", languages=["en", "pa"])


@pytest.fixture
def moa(db, clinic, provider):
    """An MOA of the clinic with an active delegation from `provider`."""
    user = UserFactory(username="moa")
    roles.add_role(user, roles.MOA)
    ClinicMembership.objects.create(clinic=clinic, user=user, role=ClinicMembership.Role.MOA)
    Delegation.objects.create(provider=provider, delegate=user, status=Delegation.Status.ACTIVE)
    roles.grant_provider(user, provider)
    return user


def until(predicate, what, timeout=60):
    """Wait for `predicate()` to be true (a worker in another process); its value, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


def database_url():
    """The test database's URL, for a process (a worker, a second connection) of its own."""
    db = connection.settings_dict
    return f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def celery_worker_real(transactional_db):
    """A real Celery worker (in a thread) consuming a private queue on the real Redis broker.

    The queue name is unique to this test so that no other worker on the machine (a
    `make run` in another terminal, a parallel test run) can take the test's tasks.
    Tests using it must use `transactional_db` so the worker thread sees their rows.
    """
    import uuid

    from celery.contrib.testing.worker import start_worker

    from attachment.celery import app

    queue = f"test-{uuid.uuid4().hex[:12]}"
    old_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        with start_worker(app, queues=[queue], perform_ping_check=False, pool="solo", loglevel="WARNING") as worker:
            yield worker
    finally:
        app.conf.task_default_queue = old_queue


class WorkerProcesses:
    """Real `celery worker` processes (prefork, one child) on a private queue of the real
    Redis broker and the test database, as production runs them; `kill()` is SIGKILL to
    the whole process group, as when a container or machine dies."""

    def __init__(self, queue, env, log_dir):
        self.queue, self.env, self.log_dir = queue, env, log_dir
        self.procs = []

    def start(self, timeout=60):
        import subprocess
        import sys
        import time
        from pathlib import Path

        n = len(self.procs) + 1
        log_path = Path(self.log_dir) / f"worker-{n}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "attachment", "worker", "-P", "prefork", "-c", "1",
             "-Q", self.queue, "-n", f"{self.queue}-{n}@%h", "-l", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=Path(__file__).resolve().parent.parent, env=self.env, start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        deadline = time.monotonic() + timeout
        while b" ready." not in log_path.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker {n} did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        return proc

    def kill(self, proc):
        import os
        import signal

        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self):
        # The test is over and every message it sent is acknowledged: nothing to shut down cleanly.
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)


@pytest.fixture
def celery_worker_processes(transactional_db, settings, tmp_path):
    """Start real worker processes with `.start()`; heartbeats every 0.3 s, stale after 2 s.

    The reaper's thresholds come from the same environment (settings here, for the tasks
    this process runs itself). The broker's visibility timeout stays at its production
    value: what brings a killed worker's job back in the test is the reaper, not Redis.
    """
    import os
    import uuid

    import redis
    from django.db import connection
    from kombu.utils.json import loads

    from attachment.celery import app

    queue = f"test-kill-{uuid.uuid4().hex[:12]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "ATTACH_JOB_HEARTBEAT_SECONDS": "0.3",
        "ATTACH_JOB_STALE_SECONDS": "2",
        "DB_CONN_MAX_AGE": "0",
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    settings.ATTACH_JOB_HEARTBEAT_SECONDS = 0.3
    settings.ATTACH_JOB_STALE_SECONDS = 2
    old_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    workers = WorkerProcesses(queue, env, tmp_path)
    try:
        yield workers
    finally:
        workers.stop_all()
        app.conf.task_default_queue = old_queue
        # The killed worker's message is still "unacknowledged" in Redis; left there, some
        # later worker would put it back on this (dead) queue after the visibility timeout.
        client = redis.Redis.from_url(app.conf.broker_url)
        for tag, payload in client.hgetall("unacked").items():
            if loads(payload)[2] == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
        client.delete(queue)
