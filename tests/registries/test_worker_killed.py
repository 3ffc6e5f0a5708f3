"""A worker killed in the middle of a panel load: the load comes back and finishes, once.

Real worker processes on the real Redis broker and PostgreSQL. The load is held at a
known point (70%, "Updating last visits") by a real table lock taken from another
connection, so the kill lands mid-load every time; then the worker is SIGKILLed.
"""

import time

import psycopg
import pytest
from django.urls import reverse

from attachment.core import reaper
from attachment.core.models import AuditEvent, JobRun
from patients.models import Patient
from registries.models import PanelEntry, PanelUpload
from registries.panels import uploads
from registries.panels.tasks import load_panel_upload
from tests.conftest import database_url, login, until
from tests.registries.conftest import good_rows, panel_csv, phn_list

pytestmark = pytest.mark.celery


def page_heading(client, upload):
    html = client.get(reverse("registries:upload_progress", args=[upload.pk])).content.decode()
    return html.split('<h2 id="progress-title">', 1)[1].split("</h2>", 1)[0], html


@pytest.mark.django_db(transaction=True)
def test_killed_worker_mid_load_is_restarted_and_loads_once(celery_worker_processes, client, provider, moa):
    login(client, moa)
    upload = uploads.create_upload(provider, data=panel_csv(good_rows(phn_list(20))), file_name="panel.csv", by=moa)

    blocker = psycopg.connect(database_url())
    blocker.execute("LOCK TABLE registries_panelentry IN SHARE MODE")  # held until rollback
    uploads.request_load(upload, by=moa)
    first = celery_worker_processes.start()

    # Mid-load: the progress bar at 70%, the job run beating while the load's transaction is open.
    until(lambda: uploads.get_progress(upload.pk) == {"percent": 70, "phase": "Updating last visits"}, "70%")
    job = JobRun.objects.get(name="panel_load")
    assert job.outcome == "running" and job.task == load_panel_upload.name and job.task_args == [upload.pk]
    beat = job.heartbeat_at
    until(lambda: JobRun.objects.get(pk=job.pk).heartbeat_at > beat, "a heartbeat")

    celery_worker_processes.kill(first)
    blocker.rollback()
    blocker.close()

    # The user-visible state right after the kill is the one the issue saw: stuck at 70%.
    heading, html = page_heading(client, upload)
    assert heading == "Loading…" and "Updating last visits (70%)" in html
    assert "restarted automatically" not in html

    celery_worker_processes.start()
    time.sleep(2.5)  # the heartbeat is now older than ATTACH_JOB_STALE_SECONDS
    # What beat does every 30 s: the reaper, on the worker.
    reaped = reaper.reap_stale_jobs_task.delay().get(timeout=30)
    assert [(r["job"], r["sent_again"]) for r in reaped] == [(job.pk, True)]

    until(lambda: PanelUpload.objects.get(pk=upload.pk).status != "loading", "the load to finish")
    upload.refresh_from_db()
    assert upload.status == "loaded", upload.error
    heading, html = page_heading(client, upload)
    assert heading == "Loaded"
    assert "Done: 20 patients added to the panel." in html
    assert "The background worker stopped while loading; it was restarted automatically." in html

    # Once: one load's worth of rows, one audit of it, one successful run beside the interrupted one.
    assert upload.rows_loaded == 20
    assert PanelEntry.objects.filter(provider=provider).count() == 20
    assert Patient.objects.count() == 20
    assert AuditEvent.objects.filter(object_type="registries.PanelUpload", object_id=str(upload.pk),
                                     summary__startswith="Panel of").count() == 1
    runs = list(JobRun.objects.filter(name="panel_load").order_by("started_at").values_list("outcome", "interrupted"))
    assert runs == [("failed", True), ("succeeded", False)]

    # The dead worker's own message, when Redis gives it back after the visibility timeout, changes nothing.
    assert load_panel_upload.delay(upload.pk).get(timeout=30)["status"] == "loaded"
    assert PanelEntry.objects.filter(provider=provider).count() == 20
    assert JobRun.objects.filter(name="panel_load").count() == 2
