"""Background work of care coordination (scheduled by django-celery-beat)."""

from celery import shared_task
from django.db import OperationalError

from attachment.core.jobs import tracked
from care import generator


@shared_task(
    name="care.tasks.make_due_tasks",
    acks_late=True,
    autoretry_for=(OperationalError, ConnectionError, TimeoutError),
    retry_backoff=60,
    max_retries=5,
)
def make_due_tasks() -> dict:
    """Every morning (and again at midday): put the day's due work on the worklists.

    Idempotent: a rule never makes a task whose key was ever made, and closes only what no
    longer applies, so a retry, a re-delivery or a second run the same day changes nothing.
    """
    with tracked("care.make_due_tasks", task="care.tasks.make_due_tasks") as run:
        figures = generator.make_due_tasks()
        run.figures = figures
        run.summary = f"{figures['made']} care tasks made, {figures['closed']} closed"
    return figures
