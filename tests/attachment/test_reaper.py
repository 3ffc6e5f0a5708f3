"""The reaper on its own: which silent job runs it restarts, which it gives up, what the pages say.

No worker here: a restarted task is a real message on a private queue of the real Redis
broker, counted there (the kill tests in test_worker_killed.py run it on real workers).
"""

import datetime
import importlib
import time
import uuid

import pytest
import redis
from django.apps import apps
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from attachment.celery import app
from attachment.core import reaper
from attachment.core.jobs import tracked
from attachment.core.models import JobRun
from attachment.matching.db import RUN_GIVEN_UP, RUN_RESTARTED
from attachment.workflow import tasks
from attachment.workflow.models import MatchRun
from registries.models import PanelUpload
from registries.panels import uploads
from registries.panels.tasks import load_panel_upload
from tests.conftest import login
from tests.registries.conftest import good_rows, panel_csv, phn_list


@pytest.fixture
def queue():
    """Where the reaper's messages go, so they can be counted; emptied afterwards."""
    name = f"test-reaper-{uuid.uuid4().hex[:12]}"
    old = app.conf.task_default_queue
    app.conf.task_default_queue = name
    client = redis.Redis.from_url(app.conf.broker_url)
    try:
        yield lambda: client.llen(name)
    finally:
        app.conf.task_default_queue = old
        client.delete(name)


@pytest.fixture
def loading_upload(settings, tmp_path, provider, moa):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = uploads.create_upload(provider, data=panel_csv(good_rows(phn_list(3))), file_name="p.csv", by=moa)
    PanelUpload.objects.filter(pk=upload.pk).update(status=PanelUpload.Status.LOADING)
    uploads.set_progress(upload.pk, 70, "Updating last visits")
    upload.refresh_from_db()
    return upload


def silent_run(name, task="", args=(), seconds=600, **fields):
    """A running job run whose last heartbeat was `seconds` ago."""
    return JobRun.objects.create(name=name, task=task, task_args=list(args), **fields,
                                 heartbeat_at=timezone.now() - datetime.timedelta(seconds=seconds))


def progress_page(client, upload):
    return client.get(reverse("registries:upload_progress", args=[upload.pk])).content.decode()


@pytest.mark.django_db
def test_a_silent_panel_load_is_sent_again_and_the_page_says_so(queue, loading_upload, client, moa):
    job = silent_run("panel_load", load_panel_upload.name, [loading_upload.pk])
    fresh = silent_run("panel_load", load_panel_upload.name, [loading_upload.pk + 1000], seconds=1)

    assert reaper.reap_stale_jobs() == [{"job": job.pk, "name": "panel_load", "task": load_panel_upload.name,
                                         "args": [loading_upload.pk], "sent_again": True}]
    assert queue() == 1
    job.refresh_from_db()
    assert job.outcome == "failed" and job.interrupted and job.finished_at
    assert job.summary == "The worker stopped during this run; it was sent again."
    assert JobRun.objects.get(pk=fresh.pk).outcome == "running"  # still beating: left alone

    page = progress_page(login(client, moa), loading_upload)
    assert "The background worker stopped while loading; it was restarted automatically." in page
    assert "Restarted; waiting for a worker (0%)" in page and "Loading…" in page

    assert reaper.reap_stale_jobs() == []  # reaped once
    assert queue() == 1


@pytest.mark.django_db
def test_a_panel_load_silent_too_often_fails_and_asks_to_try_again(queue, loading_upload, client, moa, settings):
    settings.ATTACH_JOB_MAX_ATTEMPTS = 3
    for _ in range(2):
        silent_run("panel_load", load_panel_upload.name, [loading_upload.pk], outcome="failed", interrupted=True)
    job = silent_run("panel_load", load_panel_upload.name, [loading_upload.pk])

    assert [r["sent_again"] for r in reaper.reap_stale_jobs()] == [False]
    assert queue() == 0
    assert JobRun.objects.get(pk=job.pk).summary == "The worker stopped during this run; given up after 3 runs."
    loading_upload.refresh_from_db()
    assert loading_upload.status == "failed" and loading_upload.error == uploads.LOAD_GIVEN_UP
    page = progress_page(login(client, moa), loading_upload)
    assert "Failed" in page and "Please try again" in page and "restarted automatically" not in page
    assert uploads.get_progress(loading_upload.pk)["phase"] == "Failed: nothing was loaded"


@pytest.mark.django_db
def test_a_silent_load_of_an_upload_loaded_meanwhile_leaves_it_loaded(queue, loading_upload):
    PanelUpload.objects.filter(pk=loading_upload.pk).update(status=PanelUpload.Status.LOADED)
    uploads.set_progress(loading_upload.pk, 100, "Loaded")
    silent_run("panel_load", load_panel_upload.name, [loading_upload.pk], outcome="failed", interrupted=True)
    silent_run("panel_load", load_panel_upload.name, [loading_upload.pk], outcome="failed", interrupted=True)
    silent_run("panel_load", load_panel_upload.name, [loading_upload.pk])

    reaper.reap_stale_jobs()  # gives up, but there is nothing to fail
    assert PanelUpload.objects.get(pk=loading_upload.pk).status == "loaded"
    assert uploads.get_progress(loading_upload.pk) == {"percent": 100, "phase": "Loaded"}


@pytest.mark.django_db
def test_a_silent_matching_run_goes_back_to_the_queue_or_fails(queue, coordinator, client):
    run = MatchRun.objects.create(started_by=coordinator, status=MatchRun.Status.RUNNING, phase="Saving 3 proposals",
                                  parameters={"division": None, "community": None})
    silent_run("matching_run", tasks.run_matching.name, [run.pk])
    reaper.reap_stale_jobs()
    run.refresh_from_db()
    assert (run.status, run.phase) == ("queued", RUN_RESTARTED) and queue() == 1
    login(client, coordinator)
    page = client.get(reverse("workflow:run_progress", args=[run.pk])).content.decode()
    assert "it was restarted automatically" in page

    silent_run("matching_run", tasks.run_matching.name, [run.pk])
    silent_run("matching_run", tasks.run_matching.name, [run.pk])
    reaper.reap_stale_jobs()
    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", RUN_GIVEN_UP) and queue() == 1
    page = client.get(reverse("workflow:run_progress", args=[run.pk])).content.decode()
    assert "Please start the run again." in page and "restarted automatically" not in page
    # The dead worker's message, back later, does not bring a given-up run to life.
    assert tasks.run_matching.apply(args=[run.pk]).get() == {}
    assert MatchRun.objects.get(pk=run.pk).status == "failed"


@pytest.mark.django_db
def test_a_silent_run_beside_a_live_one_is_ended_but_not_sent_again(queue, coordinator):
    run = MatchRun.objects.create(started_by=coordinator, status=MatchRun.Status.RUNNING, phase="Matching",
                                  parameters={"division": None, "community": None})
    dead = silent_run("matching_run", tasks.run_matching.name, [run.pk])
    silent_run("matching_run", tasks.run_matching.name, [run.pk], seconds=0)  # the re-delivery, beating
    assert [r["sent_again"] for r in reaper.reap_stale_jobs()] == [False]
    assert queue() == 0
    assert JobRun.objects.get(pk=dead.pk).summary == "The worker stopped during this run; another run of it is under way."
    assert MatchRun.objects.get(pk=run.pk).phase == "Matching"  # the live run's page is left alone


@pytest.mark.django_db
def test_a_silent_job_without_a_task_is_ended_only(queue):
    job = silent_run("report_snapshot")
    old = JobRun.objects.create(name="offer_expiry", heartbeat_at=None)
    JobRun.objects.filter(pk=old.pk).update(started_at=timezone.now() - datetime.timedelta(hours=1))
    assert {r["job"] for r in reaper.reap_stale_jobs()} == {job.pk, old.pk}
    assert queue() == 0
    assert JobRun.objects.get(pk=job.pk).summary == "The worker stopped during this run; it was not restarted."


@pytest.mark.django_db(transaction=True)
def test_a_running_job_beats_from_its_own_connection_while_its_transaction_is_open(settings):
    settings.ATTACH_JOB_HEARTBEAT_SECONDS = 0.1
    with tracked("beating") as job:
        with transaction.atomic():
            first = JobRun.objects.get(pk=job.pk).heartbeat_at
            time.sleep(0.5)
            # Committed by the heartbeat's connection, so seen here (READ COMMITTED) and by the reaper.
            assert JobRun.objects.get(pk=job.pk).heartbeat_at > first
    job.refresh_from_db()
    assert job.outcome == "succeeded"


@pytest.mark.django_db
def test_the_reaper_is_on_the_beat_schedule_every_30_seconds():
    migration = importlib.import_module("attachment.migrations.0008_reaper_schedule")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)  # a re-run does not duplicate
    schedule = PeriodicTask.objects.get(task="attachment.reaper.reap_stale_jobs")
    assert schedule.enabled and (schedule.interval.every, schedule.interval.period) == (30, "seconds")
    assert "attachment.core.reaper" in app.conf.imports  # so every worker has the task beat sends
