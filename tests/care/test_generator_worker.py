"""The task generator through a real Celery worker on the real Redis broker, as beat sends it."""

import datetime

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from attachment.core.models import JobRun
from care.models import HospitalStay, Task


@pytest.mark.django_db(transaction=True)
def test_beat_s_task_makes_the_hospital_calls_on_a_real_worker_and_is_idempotent(
        celery_worker_real, patient, care_coordinator, kamloops_pcn):
    from care.tasks import make_due_tasks

    today = timezone.localdate()
    # Stays recorded before the rules ran (as a stay left over night is): the worker makes their tasks.
    in_hospital = HospitalStay.objects.create(
        patient=patient, pcn=kamloops_pcn, hospital="Royal Inland Hospital", reason="Stroke",
        admitted_on=today - datetime.timedelta(days=10), recorded_by=care_coordinator, recorded_at=timezone.now())
    result = make_due_tasks.delay().get(timeout=30)
    assert result["hospital_calls"] == {"made": 1, "closed": 0} and result["made"] == 1
    [call] = Task.objects.filter(patient=patient, done_at__isnull=True)
    assert call.rule_key == f"hospital-call:{in_hospital.pk}:w0" and call.kind == Task.Kind.HOSPITAL_CALL
    job = JobRun.objects.get(name="care.make_due_tasks")
    assert job.outcome == "succeeded" and job.task == "care.tasks.make_due_tasks"
    assert job.summary == "1 care tasks made, 0 closed"
    # Re-delivered (acks_late) or run twice: nothing more.
    assert make_due_tasks.delay().get(timeout=30)["made"] == 0
    assert Task.objects.filter(patient=patient).count() == 1


@pytest.mark.django_db
def test_the_schedule_is_in_the_database():
    task = PeriodicTask.objects.get(task="care.tasks.make_due_tasks")
    assert task.enabled and task.crontab.hour == "6,12"


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_each_task_once(patient, shuswap_patient, care_coordinator, kamloops_pcn, shuswap_pcn):
    """Beat firing twice, or a re-delivered task beside the first: the one-open-task-per-key
    index and ON CONFLICT DO NOTHING leave one task per key, made by one run or the other."""
    import threading

    from django.db import connection

    from care import generator

    today = timezone.localdate()
    for who, pcn in ((patient, kamloops_pcn), (shuswap_patient, shuswap_pcn)):
        HospitalStay.objects.create(patient=who, pcn=pcn, hospital="Royal Inland Hospital", reason="Fall",
                                    admitted_on=today - datetime.timedelta(days=2), recorded_at=timezone.now())
    start, results = threading.Barrier(2), []

    def run():
        try:
            start.wait()
            results.append(generator.make_due_tasks(today))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["made"] for r in results) == 2
    keys = list(Task.objects.values_list("rule_key", flat=True))
    assert len(keys) == len(set(keys)) == 2
