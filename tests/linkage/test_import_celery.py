"""A local waitlist import through a real Celery worker on the real Redis broker, as the page starts it."""

import datetime

import pytest

from attachment.core.models import JobRun
from linkage import imports
from linkage.models import ImportRow, WaitlistImport
from tests.conftest import until
from tests.linkage.conftest import actor_of, local_csv, registration_of, waiting_person

pytestmark = pytest.mark.celery


@pytest.mark.django_db(transaction=True)
def test_an_import_runs_in_a_real_worker(celery_worker_real, coordinator, thompson):
    ana = waiting_person(last_name="Lopez", first_name="Ana", dob=datetime.date(1985, 3, 2), phn="9234567897")
    data = local_csv("L1,,Lopez,Ana,1985-03-02,9234567897,F,V2C1A1,,,Kamloops,2019-05-01,",
                     "L2,H1,Nguyen,Bao,1990-07-08,,M,V2C1A2,250-555-0102,,Kamloops,2021-02-03,",
                     "L3,H1,Nguyen,Mai,1992-01-09,,F,V2C1A2,250-555-0102,,Kamloops,2021-02-03,",
                     newline="\r\n", bom=True)
    upload = imports.create_import(thompson, data=data, file_name="local.csv", actor=actor_of(coordinator))
    imports.request_import(upload, actor=actor_of(coordinator))  # commits: the task goes to the worker's queue

    status = until(lambda: WaitlistImport.objects.filter(pk=upload.pk).exclude(status="importing")
                   .values_list("status", flat=True).first(), "the import to finish")
    upload.refresh_from_db()
    assert status == "imported", upload.error
    assert upload.figures["merged"] == 1 and upload.figures["registered"] == 2
    assert registration_of(ana).registered_at.date() == datetime.date(2019, 5, 1)
    assert ImportRow.objects.filter(upload=upload).count() == 3
    assert imports.get_progress(upload.pk) == {"percent": 100, "phase": "Done"}
    job = JobRun.objects.get(name="linkage.import_local_waitlist")
    assert job.outcome == "succeeded" and job.task == "linkage.tasks.import_local_waitlist"
    assert job.task_args == [upload.pk] and job.figures["merged"] == 1

    # A second delivery of the same task (the broker's redelivery) changes nothing.
    from linkage.tasks import import_local_waitlist

    assert import_local_waitlist.delay(upload.pk).get(timeout=30) == {"upload": upload.pk, "status": "imported"}
    assert ImportRow.objects.filter(upload=upload).count() == 3
