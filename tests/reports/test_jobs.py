"""Snapshot jobs through a real Celery worker on real Redis, their schedule, and the refresh page."""

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from attachment.core.models import JobRun
from registries.models import Division
from reports.models import ReportSnapshot
from reports.tasks import build_all_snapshots, build_division_snapshot
from tests.conftest import login
from tests.factories import RegistrationFactory, community


@pytest.mark.django_db
def test_the_nightly_build_is_scheduled_in_the_database():
    task = PeriodicTask.objects.get(task="reports.tasks.build_all_snapshots")
    assert task.enabled and task.crontab.hour == "2" and str(task.crontab.timezone) == "America/Vancouver"


@pytest.mark.celery
def test_snapshot_jobs_run_on_a_real_worker_and_are_idempotent(celery_worker_real, thompson):
    for _i in range(12):
        RegistrationFactory(community=community("Kamloops"))
    result = build_division_snapshot.delay(thompson.pk)
    assert result.get(timeout=60)["division"] == thompson.pk
    snapshot = ReportSnapshot.objects.get(division=thompson)
    assert sum(s["waiting"] for s in snapshot.data["by_community"].values()) == 12

    # The nightly job: every division, and running it twice leaves one snapshot each.
    build_all_snapshots.delay().get(timeout=120)
    build_all_snapshots.delay().get(timeout=120)
    assert ReportSnapshot.objects.count() == Division.objects.count()
    runs = JobRun.objects.filter(name="report_snapshot")
    assert runs.count() == 3
    assert set(runs.values_list("outcome", flat=True)) == {JobRun.Outcome.SUCCEEDED}
    assert runs.first().summary == f"Built {Division.objects.count()} division snapshot(s)"


@pytest.mark.celery
def test_a_manager_asks_for_a_fresh_snapshot_and_follows_its_progress(celery_worker_real, client, manager, thompson):
    login(client, manager)
    response = client.post(reverse("reports:refresh"), {"division": thompson.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="status"' in html
    task_id = response.context["task_id"]
    from celery.result import AsyncResult

    AsyncResult(task_id).get(timeout=60)
    html = client.get(reverse("reports:refresh_status", args=[task_id])).content.decode()
    assert "is ready" in html and "hx-get" not in html
    assert ReportSnapshot.objects.filter(division=thompson).exists()


@pytest.mark.django_db
def test_progress_of_someone_elses_task_is_not_found(client, manager, other_coordinator):
    login(client, other_coordinator)
    # A task id never handed to this user (or any) is a 404, not a state.
    assert client.get(reverse("reports:refresh_status", args=["not-a-task-of-yours"])).status_code == 404


@pytest.mark.django_db
def test_a_failed_build_leaves_a_failed_job_run():
    missing = (Division.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    # A division deleted since the manager asked: the job fails, and says so.
    with pytest.raises(Division.DoesNotExist):
        build_division_snapshot.apply(args=[missing]).get()
    run = JobRun.objects.get(name="report_snapshot")
    assert run.outcome == JobRun.Outcome.FAILED and run.error
    assert not ReportSnapshot.objects.exists()
