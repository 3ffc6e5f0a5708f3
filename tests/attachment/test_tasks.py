"""The workflow's Celery tasks through a real worker on the real Redis broker, and their schedules."""

import datetime

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from attachment.core.models import JobRun
from attachment.workflow import services, tasks
from attachment.workflow.models import MatchRun, Offer, Proposal
from providers.models import Provider
from tests.attachment.conftest import accepting_provider, offer_for
from tests.factories import household


@pytest.mark.django_db(transaction=True)
def test_offer_expiry_through_the_real_worker(celery_worker_real, clinic, kamloops, coordinator, moa):
    provider = accepting_provider(clinic, 1)
    reg = household(1, community=kamloops)
    offer = offer_for(reg, coordinator)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

    assert tasks.expire_offers.delay().get(timeout=30) == 1

    offer.refresh_from_db()
    reg.refresh_from_db()
    assert offer.status == "expired" and reg.status == "waiting"
    assert Provider.objects.get(pk=provider.pk).open_capacity == 1
    job = JobRun.objects.filter(name="offer_expiry").latest("started_at")
    assert job.outcome == "succeeded" and job.figures == {"expired": 1}
    # Idempotent: a re-delivered task finds nothing more to do.
    assert tasks.expire_offers.delay().get(timeout=30) == 0
    with pytest.raises(services.WorkflowError):
        services.clinic_accept(offer.pk, by=moa)


@pytest.mark.django_db(transaction=True)
def test_matching_run_started_by_a_coordinator_runs_on_the_worker(celery_worker_real, clinic, kamloops, coordinator):
    accepting_provider(clinic, 2)
    reg = household(1, community=kamloops)
    run = services.start_run(by=coordinator, division_id=kamloops.division_id)

    # start_run queues the task after commit; wait for the worker by asking for the same run.
    figures = tasks.run_matching.delay(run.pk).get(timeout=60)

    run.refresh_from_db()
    assert run.status == MatchRun.Status.SUCCEEDED
    assert figures["proposed"] == 1
    assert Proposal.objects.filter(registration=reg).count() == 1  # run twice, proposed once
    assert JobRun.objects.filter(name="matching_run", outcome="succeeded").exists()


@pytest.mark.django_db
def test_capacity_refresh_task_records_its_job(clinic):
    provider = accepting_provider(clinic, 3)
    Provider.objects.filter(pk=provider.pk).update(open_capacity=1)
    figures = tasks.refresh_capacity()
    assert figures["fixed"] == 1
    assert Provider.objects.get(pk=provider.pk).open_capacity == 3
    assert JobRun.objects.get(name="capacity_refresh").summary.endswith("corrected for 1")


@pytest.mark.django_db
def test_schedule_migration_creates_the_periodic_tasks_once():
    import importlib

    from django.apps import apps

    # Transactional tests elsewhere flush the table, so run the migration's function
    # itself (twice: a re-run must not duplicate) rather than trust what is left.
    migration = importlib.import_module("attachment.migrations.0006_workflow_schedules")
    migration.create_schedules(apps, None)
    migration.create_schedules(apps, None)
    assert PeriodicTask.objects.filter(task__startswith="attachment.tasks.").count() == 3
    tasks_by_name = dict(PeriodicTask.objects.values_list("task", "enabled"))
    assert tasks_by_name["attachment.tasks.expire_offers"] is True
    assert tasks_by_name["attachment.tasks.refresh_capacity"] is True
    assert tasks_by_name["attachment.tasks.scheduled_matching"] is False
