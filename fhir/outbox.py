"""The webhook outbox: a clinic's EMR handoffs, pushed once each, signed, retried with backoff.

`record(offer)` runs inside the attach transaction: the `Delivery` row (with the exact
bytes to send) commits with the attachment or not at all, and the delivery task is queued
once it commits. A broker that is down then loses nothing: the row waits, and the sweeper
(`fhir.sweep_outbox`, every minute from beat) queues whatever is due.

`attempt(delivery_id)` is the one place a push happens. It holds the row's lock while it
posts, so two workers (a retry and the sweeper's copy, a message redelivered after a dead
worker) never push at once, and a delivered row is never pushed again. The receiver also
gets an `Idempotency-Key` header, the same on every attempt: a worker that dies between
the receiver's 2xx and its own commit pushes once more, and the receiver keeps one copy.

Each push carries `X-Attach-Signature: sha256=<hex>`, the HMAC-SHA256 with the clinic's
webhook secret of `<X-Attach-Timestamp>.<body>`, so the EMR can check it came from Attach
and is fresh.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from attachment.core import audit
from fhir.models import ClinicIntegration, Delivery

log = logging.getLogger("attach.fhir.outbox")

SIGNATURE_HEADER = "X-Attach-Signature"
TIMESTAMP_HEADER = "X-Attach-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def record(offer) -> Delivery | None:
    """The outbox row for `offer`'s handoff, if its clinic pushes to a webhook (in the caller's transaction)."""
    from fhir.handoff import handoff_bundle

    integration = ClinicIntegration.objects.filter(clinic_id=offer.clinic_id).first()
    if integration is None or not integration.pushes:
        return None
    delivery = Delivery.objects.create(
        offer=offer, clinic_id=offer.clinic_id, url=integration.webhook_url,
        payload=json.dumps(handoff_bundle(offer), separators=(",", ":")), next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: queue(delivery.pk))
    return delivery


def queue(delivery_id: int, countdown: float | None = None) -> bool:
    """Send the delivery task; False (and the sweeper's turn) when the broker cannot be reached."""
    from fhir.tasks import deliver_handoff

    try:
        deliver_handoff.apply_async((delivery_id,), countdown=countdown)
    except Exception as exc:  # noqa: BLE001 (any broker failure: the row waits for the sweeper)
        log.warning("could not queue handoff delivery %s: %s", delivery_id, exc)
        return False
    return True


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: doubling, capped."""
    base = settings.ATTACH_WEBHOOK_BACKOFF_SECONDS
    return min(base * 2 ** (attempts - 1), settings.ATTACH_WEBHOOK_BACKOFF_MAX_SECONDS)


@dataclass
class Attempt:
    outcome: str  # delivered, retry, failed, busy, done, not-due
    retry_in: float | None = None


def attempt(delivery_id: int, now: datetime.datetime | None = None) -> Attempt:
    with transaction.atomic():
        delivery = (Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(pk=delivery_id).first())
        if delivery is None:
            return Attempt("busy")  # another worker holds it (or it does not exist)
        if delivery.status != Delivery.Status.PENDING:
            return Attempt("done")
        now = now or timezone.now()
        if delivery.next_attempt_at > now + datetime.timedelta(seconds=1):
            # A copy queued before the last attempt rescheduled it: that schedule stands.
            return Attempt("not-due", (delivery.next_attempt_at - now).total_seconds())
        integration = ClinicIntegration.objects.filter(clinic_id=delivery.clinic_id).first()
        delivery.attempts += 1
        delivery.last_attempt_at = now
        if integration is None or not integration.pushes:
            error = "The clinic no longer has a webhook."
        else:
            delivery.url = integration.webhook_url
            error = _post(delivery, integration.webhook_secret)
        if error is None:
            delivery.status = Delivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
            result = Attempt("delivered")
        elif delivery.attempts >= settings.ATTACH_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
            delivery.last_error = error[:500]
            result = Attempt("failed")
        else:
            wait = backoff(delivery.attempts)
            delivery.next_attempt_at = now + datetime.timedelta(seconds=wait)
            delivery.last_error = error[:500]
            result = Attempt("retry", wait)
        delivery.save(update_fields=["attempts", "last_attempt_at", "url", "status", "delivered_at", "last_error",
                                     "next_attempt_at"])
    if result.outcome == "failed":
        log.warning("handoff delivery %s failed after %s attempts: %s", delivery.pk, delivery.attempts, error)
    return result


def _post(delivery: Delivery, secret: str) -> str | None:
    """Push the payload; None on a 2xx, else why not."""
    body = delivery.payload.encode()
    timestamp = str(int(timezone.now().timestamp()))
    request = urllib.request.Request(delivery.url, data=body, method="POST", headers={
        "Content-Type": "application/fhir+json",
        "User-Agent": "Attach-Webhook/1",
        IDEMPOTENCY_HEADER: str(delivery.idempotency_key),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    })
    try:
        with urllib.request.urlopen(request, timeout=settings.ATTACH_WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(1024)
            return None if 200 <= response.status < 300 else f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"


def retry(delivery: Delivery, *, actor) -> Delivery:
    """A failed delivery tried again (the clinic lead fixed their receiver): a fresh round of attempts."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status != Delivery.Status.FAILED:
            return delivery
        delivery.status = Delivery.Status.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit.record(action="update", obj=delivery, actor=actor, summary="Handoff delivery retried",
                     changes={"status": ["failed", "pending"]})
        transaction.on_commit(lambda: queue(delivery.pk))
    return delivery


def sweep(now: datetime.datetime | None = None) -> int:
    """Queue the pending deliveries that are due and were not picked up (a lost message, a broker that was down)."""
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=settings.ATTACH_WEBHOOK_SWEEP_GRACE_SECONDS)
    due = list(Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now - grace)
               .values_list("pk", flat=True)[:1000])
    return sum(queue(pk) for pk in due)
