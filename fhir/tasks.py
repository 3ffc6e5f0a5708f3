"""FHIR background work: pushing EMR handoffs from the outbox (thin wrappers over `fhir.outbox`)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from attachment.core.jobs import tracked
from fhir import outbox


@shared_task(
    name="fhir.deliver_handoff",
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=None,
)
def deliver_handoff(self, delivery_id: int) -> str:
    """One attempt at one delivery; a failed attempt queues the next after its backoff.

    Idempotent: a delivered (or given-up) delivery is left as it is, and one being pushed
    by another worker is skipped (the row's lock).
    """
    with tracked("handoff_delivery", task=self.name, args=[delivery_id]) as job:
        result = outbox.attempt(delivery_id)
        job.summary = f"Delivery {delivery_id}: {result.outcome}"
        job.figures = {"delivery": delivery_id, "outcome": result.outcome}
    if result.outcome == "retry":
        outbox.queue(delivery_id, countdown=result.retry_in)
    return result.outcome


@shared_task(name="fhir.sweep_outbox", acks_late=True)
def sweep_outbox() -> int:
    """Queue the pending deliveries nobody picked up (every minute, from beat)."""
    with tracked("handoff_sweep") as job:
        queued = outbox.sweep()
        job.summary = f"{queued} deliveries queued"
        job.figures = {"queued": queued}
    return queued
