"""Background work of the Health Connect Registry (scheduled by django-celery-beat)."""

from celery import shared_task
from django.db import OperationalError

from attachment.core.jobs import tracked
from patients import already, services


@shared_task(
    name="patients.tasks.send_reminders",
    acks_late=True,
    autoretry_for=(OperationalError, ConnectionError, TimeoutError),
    retry_backoff=60,
    max_retries=5,
)
def send_reminders() -> dict:
    """Daily: email the households whose reminder interval has come round.

    Idempotent: each batch is stamped as it is sent, so a retry or a second run the
    same day sends only to those not yet reminded.
    """
    with tracked("patients.send_reminders") as run:
        figures = services.send_due_reminders()
        run.figures = figures
        run.summary = f"{figures['emailed']} reminder emails sent; {figures['to_call']} households to phone"
    return figures


@shared_task(
    name="patients.tasks.send_reference_code",
    acks_late=True,
    autoretry_for=(OperationalError, ConnectionError, TimeoutError, OSError),
    retry_backoff=30,
    max_retries=5,
)
def send_reference_code(registration_id: int) -> bool:
    """The "already registered" path: email a household its reference code again.

    Sent from here, not from the page, so the page's answer takes the same time whether
    the details matched or not (and a slow mail server delays nobody)."""
    with tracked("patients.send_reference_code") as run:
        sent = already.send_reference_code(registration_id)
        run.summary = "reference code emailed" if sent else "nothing to send"
    return sent


# --- self-service ----------------------------------------------------------------------


@shared_task(
    name="patients.tasks.send_one_time_code",
    acks_late=True,
    autoretry_for=(OperationalError, ConnectionError, TimeoutError),
    retry_backoff=5,
    max_retries=3,
)
def send_one_time_code(registration_id: int | None, ticket_hash: str) -> bool:
    """Make, draw and send one self-service code; queued for every first step, matched
    (registration_id) or not (None: nothing to do). Idempotent: a code already sent is not
    sent again."""
    from patients import otp

    if registration_id is None:
        return False  # no job record: a stranger's try would fill the jobs page
    with tracked("patients.send_one_time_code") as run:
        sent = otp.request_and_deliver(registration_id, ticket_hash)
        run.summary = "One-time code sent" if sent else "Nothing sent (already sent, or the household's limit)"
    return sent
