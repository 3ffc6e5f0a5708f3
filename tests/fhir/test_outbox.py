"""The webhook outbox end to end: a real receiver that fails, a real Celery worker, one delivery."""

import json
import time

import pytest
from django.urls import reverse

from attachment.core import roles
from fhir import outbox
from fhir.models import ClinicIntegration, Delivery
from tests.conftest import login, until
from tests.factories import ClinicFactory, UserFactory
from tests.fhir.conftest import attached_offer
from tests.fhir.receiver import Receiver

SECRET = "a-shared-secret-of-the-clinic-emr"


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_handoff_to_a_receiver_failing_twice_is_delivered_once_by_the_worker(
        celery_worker_real, settings, provider, clinic, coordinator, moa, kamloops):
    settings.ATTACH_WEBHOOK_BACKOFF_SECONDS = 0.3
    with Receiver([503, 500]) as receiver:
        ClinicIntegration.objects.create(clinic=clinic, webhook_url=receiver.url, webhook_secret=SECRET)
        offer = attached_offer(provider, coordinator, moa, kamloops, size=2)

        delivery = until(lambda: Delivery.objects.filter(offer=offer, status="delivered").first(), "the delivery")
        time.sleep(1.5)  # long enough for any stray retry to arrive
        assert [r["status"] for r in receiver.requests] == [503, 500, 200]
        assert len(receiver.accepted()) == 1
        assert outbox.sweep() == 0  # nothing pending for the sweeper either
        time.sleep(0.5)
        assert len(receiver.requests) == 3

    delivery.refresh_from_db()
    assert delivery.attempts == 3 and delivery.delivered_at is not None and delivery.last_error == ""
    keys = {r["headers"]["Idempotency-Key"] for r in receiver.requests}
    assert keys == {str(delivery.idempotency_key)}
    for r in receiver.requests:
        headers = r["headers"]
        assert headers["Content-Type"] == "application/fhir+json"
        assert headers["X-Attach-Signature"] == outbox.sign(SECRET, headers["X-Attach-Timestamp"], r["body"])
    bundle = json.loads(receiver.accepted()[0]["body"])
    assert bundle["id"] == f"handoff-{offer.pk}"


@pytest.mark.django_db
def test_a_delivery_that_keeps_failing_is_listed_for_the_clinic_lead_and_the_administrator_and_retried(
        client, settings, provider, clinic, coordinator, moa, kamloops, administrator, django_capture_on_commit_callbacks):
    settings.ATTACH_WEBHOOK_MAX_ATTEMPTS = 2
    lead = UserFactory(username="lead")
    roles.grant_clinic(lead, clinic)
    with Receiver([], then=500) as receiver:
        ClinicIntegration.objects.create(clinic=clinic, webhook_url=receiver.url, webhook_secret=SECRET)
        offer = attached_offer(provider, coordinator, moa, kamloops)
        delivery = Delivery.objects.get(offer=offer)
        assert outbox.attempt(delivery.pk).outcome == "retry"
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
        assert outbox.attempt(delivery.pk).outcome == "failed"
        assert outbox.attempt(delivery.pk).outcome == "done"  # given up: not pushed again
        assert len(receiver.requests) == 2
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_error.startswith("HTTP 500")

    for who in (lead, administrator):
        login(client, who)
        page = client.get(reverse("fhir:deliveries"))
        assert page.status_code == 200 and "HTTP 500" in page.content.decode()
    login(client, moa)
    assert client.get(reverse("fhir:deliveries")).status_code == 403

    with Receiver([]) as fixed:
        ClinicIntegration.objects.filter(clinic=clinic).update(webhook_url=fixed.url)
        login(client, lead)
        with django_capture_on_commit_callbacks() as callbacks:
            assert client.post(reverse("fhir:delivery_retry", args=[delivery.pk])).status_code == 302
        assert callbacks
        assert outbox.attempt(delivery.pk).outcome == "delivered"
        assert len(fixed.accepted()) == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.url == fixed.url


@pytest.mark.django_db
def test_the_clinic_lead_sets_the_webhook_and_the_secret_stays_unshown(client, settings, clinic):
    settings.DEBUG = False
    lead = UserFactory(username="lead")
    roles.grant_clinic(lead, clinic)
    login(client, lead)
    url = reverse("fhir:integration", args=[clinic.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"facility_number": "K1234", "webhook_url": "http://emr.example.org/hook",
                                 "webhook_secret": "x" * 20})
    assert response.status_code == 200 and "https://" in response.content.decode()
    response = client.post(url, {"facility_number": "K1234", "webhook_url": "https://emr.example.org/hook",
                                 "webhook_secret": ""})
    assert response.status_code == 200 and "needs a secret" in response.content.decode()
    client.post(url, {"facility_number": "K1234", "webhook_url": "https://emr.example.org/hook",
                      "webhook_secret": "x" * 20})
    client.post(url, {"facility_number": "K1234", "webhook_url": "https://emr.example.org/hook2",
                      "webhook_secret": ""})
    integration = ClinicIntegration.objects.get(clinic=clinic)
    assert integration.webhook_secret == "x" * 20 and integration.webhook_url.endswith("hook2")
    assert "x" * 20 not in client.get(url).content.decode()
    other = UserFactory(username="other-lead")
    roles.grant_clinic(other, ClinicFactory())
    login(client, other)
    assert client.get(url).status_code == 404
