"""Races on real PostgreSQL: the same panel message twice at once, the same delivery
attempted by two workers at once. Each is applied, or pushed, once."""

import json
import time

import pytest

from attachment.core.audit import Actor
from fhir import mapping, messages, outbox
from fhir.models import ClinicIntegration, Delivery, ProcessedMessage
from registries.models import PanelEntry
from tests.attachment.test_concurrency import race
from tests.factories import next_phn
from tests.fhir.conftest import attached_offer
from tests.fhir.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_same_message_twice_at_once_is_applied_once_and_both_get_its_response(moa, provider, clinic,
                                                                                   monkeypatch):
    apply = messages._apply

    def slow_apply(*args, **kwargs):  # widens the window: both copies are surely in flight together
        time.sleep(0.5)
        return apply(*args, **kwargs)

    monkeypatch.setattr(messages, "_apply", slow_apply)
    patients = [{"resourceType": "Patient", "identifier": [{"system": mapping.PHN_SYSTEM, "value": next_phn()}],
                 "name": [{"family": f"Race{i}", "given": ["Ada"]}], "birthDate": "1988-08-08"} for i in range(3)]
    bundle = messages.panel_message(messages.ADD, practitioner=mapping.practitioner(provider),
                                    organization=mapping.organization(clinic), patients=patients,
                                    group_id=str(provider.pk), message_id="race-1")
    body = json.dumps(bundle).encode()
    actor = Actor(user=moa)
    first, second = race(lambda: messages.process(body, user=moa, actor=actor),
                         lambda: messages.process(body, user=moa, actor=actor))
    assert first[0] == second[0] == 200, (first, second)
    assert first[1] == second[1]
    assert PanelEntry.objects.filter(provider=provider).count() == 3
    assert ProcessedMessage.objects.count() == 1


def test_two_workers_attempting_one_delivery_push_it_once(provider, clinic, coordinator, moa, kamloops):
    with Receiver([], delay=1.0) as receiver:
        ClinicIntegration.objects.create(clinic=clinic, webhook_url=receiver.url, webhook_secret="s" * 32)
        offer = attached_offer(provider, coordinator, moa, kamloops)
        delivery = Delivery.objects.get(offer=offer)
        outcomes = race(lambda: outbox.attempt(delivery.pk).outcome, lambda: outbox.attempt(delivery.pk).outcome)
        assert sorted(outcomes) == ["busy", "delivered"], outcomes
        assert outbox.attempt(delivery.pk).outcome == "done"
        assert len(receiver.requests) == 1
