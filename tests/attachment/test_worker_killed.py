"""A worker killed in the middle of a matching run: the run comes back and proposes once.

Real worker processes on the real Redis broker and PostgreSQL. The run is held while it
saves its proposals (a real SHARE lock on the proposals table from another connection,
after the run has locked its providers), the worker is SIGKILLed there, and the reaper
sends the run again to a new worker.
"""

import time

import psycopg
import pytest
from django.urls import reverse

from attachment.core import reaper
from attachment.core.models import JobRun
from attachment.workflow import services, tasks
from attachment.workflow.models import MatchRun, Proposal
from providers.models import Provider
from tests.attachment.conftest import accepting_provider
from tests.conftest import database_url, login, until
from tests.factories import household

pytestmark = pytest.mark.celery


@pytest.mark.django_db(transaction=True)
def test_killed_worker_mid_run_is_restarted_and_proposes_once(celery_worker_processes, client, clinic, kamloops,
                                                              coordinator):
    login(client, coordinator)
    provider = accepting_provider(clinic, 5)
    regs = [household(2, community=kamloops), household(1, community=kamloops)]

    blocker = psycopg.connect(database_url())
    blocker.execute("LOCK TABLE attachment_proposal IN SHARE MODE")  # held until rollback
    run = services.start_run(by=coordinator, division_id=kamloops.division_id)
    first = celery_worker_processes.start()

    until(lambda: MatchRun.objects.get(pk=run.pk).phase == "Saving 2 proposals", "the run to save")
    job = JobRun.objects.get(name="matching_run")
    assert job.task == tasks.run_matching.name and job.task_args == [run.pk]
    beat = job.heartbeat_at
    until(lambda: JobRun.objects.get(pk=job.pk).heartbeat_at > beat, "a heartbeat")

    celery_worker_processes.kill(first)
    blocker.rollback()
    blocker.close()

    page = client.get(reverse("workflow:run_progress", args=[run.pk])).content.decode()
    assert ">Running<" in page and "Saving 2 proposals" in page

    celery_worker_processes.start()
    time.sleep(2.5)  # the heartbeat is now older than ATTACH_JOB_STALE_SECONDS
    reaped = reaper.reap_stale_jobs_task.delay().get(timeout=30)
    assert [(r["job"], r["sent_again"]) for r in reaped] == [(job.pk, True)]

    until(lambda: MatchRun.objects.get(pk=run.pk).is_done, "the run to finish")
    run.refresh_from_db()
    assert run.status == MatchRun.Status.SUCCEEDED, run.error
    page = client.get(reverse("workflow:run_progress", args=[run.pk])).content.decode()
    assert ">Finished<" in page
    assert "The background worker stopped during this run; it was restarted automatically." in page

    # Once: a proposal per household, their places taken once.
    assert sorted(Proposal.objects.values_list("registration_id", flat=True)) == sorted(r.pk for r in regs)
    assert run.figures["proposed"] == 2 and run.figures["people"] == 3
    assert Provider.objects.get(pk=provider.pk).open_capacity == 5 - 3
    runs = list(JobRun.objects.filter(name="matching_run").order_by("started_at").values_list("outcome", "interrupted"))
    assert runs == [("failed", True), ("succeeded", False)]

    # The dead worker's own message, back after the visibility timeout, changes nothing.
    assert tasks.run_matching.delay(run.pk).get(timeout=30)["proposed"] == 2
    assert Proposal.objects.count() == 2
    assert Provider.objects.get(pk=provider.pk).open_capacity == 2
