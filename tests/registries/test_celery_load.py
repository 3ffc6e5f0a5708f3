"""The load through a real Celery worker on the real Redis broker, as the page triggers it."""

import time

import pytest

from attachment.core.models import JobRun
from registries.models import PanelEntry, PanelUpload
from registries.panels import uploads
from tests.registries.conftest import good_rows, panel_csv, phn_list


@pytest.mark.django_db(transaction=True)
def test_upload_loads_through_a_real_worker(celery_worker_real, provider, moa):
    data = panel_csv(good_rows(phn_list(20)) + ["123,Bad,Row,1980-01-01,,,"], eol="\r\n", bom=True)
    upload = uploads.create_upload(provider, data=data, file_name="panel.csv", by=moa)
    uploads.request_load(upload, by=moa)  # commits, so the task is published to the worker's queue

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        upload.refresh_from_db()
        if upload.status != PanelUpload.Status.LOADING:
            break
        time.sleep(0.1)
    assert upload.status == PanelUpload.Status.LOADED, upload.error
    assert upload.rows_loaded == 20
    assert PanelEntry.objects.filter(provider=provider, ended_at__isnull=True).count() == 20
    assert uploads.get_progress(upload.pk) == {"percent": 100, "phase": "Loaded"}
    # A panel load is a job run like any other background job (the admin lists it).
    job = JobRun.objects.get(name="panel_load")
    assert job.outcome == "succeeded" and job.finished_at is not None
    assert job.figures["upload"] == upload.pk and job.figures["rows_loaded"] == 20
    assert job.summary == f"Upload {upload.pk} of provider {provider.pk}: 20 entries added"
    assert job.task == "registries.tasks.load_panel_upload" and job.task_args == [upload.pk]
