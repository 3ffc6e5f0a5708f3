"""The EMR handoff: downloaded from the attached offer; pushed through the outbox where the
clinic has a webhook (the row written in the attach transaction)."""

import json

import pytest
from django.db import transaction
from django.urls import reverse

from attachment.core.models import AuditEvent
from attachment.workflow import services as workflow
from fhir import mapping, outbox
from fhir.models import ClinicIntegration, Delivery
from tests.attachment.conftest import offer_for
from tests.conftest import login
from tests.factories import UserFactory, household
from tests.fhir.conftest import attached_offer

pytestmark = pytest.mark.django_db


def test_the_clinic_downloads_the_handoff_from_the_attached_offer(client, moa, provider, coordinator, kamloops):
    offer = attached_offer(provider, coordinator, moa, kamloops, size=2)
    login(client, moa)
    page = client.get(reverse("workflow:inbox_offer", args=[offer.pk]))
    assert page.status_code == 200 and reverse("fhir:handoff", args=[offer.pk]) in page.content.decode()
    response = client.get(reverse("fhir:handoff", args=[offer.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    assert "attachment;" in response["Content-Disposition"]
    bundle = json.loads(response.content)
    mapping.validated(bundle)
    patients = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    members = list(offer.registration.members.order_by("-is_primary_contact", "id"))
    assert [p["identifier"][0]["value"] for p in patients] == [m.phn for m in members]
    assert {"system": "phone", "value": offer.registration.phone, "use": "home"} in patients[0]["telecom"]
    assert patients[0]["address"][0]["postalCode"] == "V2C 1A1"
    answers = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
    by_link = {i["linkId"]: i for i in answers["item"]}
    assert by_link["household-size"]["answer"] == [{"valueInteger": 2}]
    assert [a["valueCoding"]["code"] for a in by_link["languages"]["answer"]] == ["pa", "en"]
    flags = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Flag"]
    assert sorted(f["code"]["coding"][0]["code"] for f in flags) == ["chronic_disease", "mental_health"]
    assert AuditEvent.objects.filter(user=moa, action="view", object_type="attachment.Offer",
                                     object_id=str(offer.pk), summary__contains="EMR handoff").exists()


def test_only_an_attached_offer_in_the_inbox_has_a_handoff(client, moa, provider, coordinator, kamloops):
    from providers.capacity import declare_capacity

    declare_capacity(provider, accepting=True, new_patients=3)
    offer = offer_for(household(1, community=kamloops), coordinator)
    login(client, moa)
    assert client.get(f"/fhir/handoff/{offer.pk}").status_code == 404  # sent, not attached
    workflow.clinic_accept(offer.pk, by=moa)
    workflow.patient_confirm(offer.pk, by=coordinator)
    assert client.get(f"/fhir/handoff/{offer.pk}").status_code == 200
    other_moa = UserFactory(username="other-moa")
    from attachment.core import roles

    roles.add_role(other_moa, roles.MOA)
    login(client, other_moa)
    assert client.get(f"/fhir/handoff/{offer.pk}").status_code == 404


def test_attaching_writes_the_outbox_row_in_the_same_transaction(provider, clinic, coordinator, moa, kamloops,
                                                                 django_capture_on_commit_callbacks):
    ClinicIntegration.objects.create(clinic=clinic, webhook_url="https://emr.example.org/hook",
                                     webhook_secret="s" * 32)
    with django_capture_on_commit_callbacks() as callbacks:
        offer = attached_offer(provider, coordinator, moa, kamloops, size=3)
    delivery = Delivery.objects.get(offer=offer)
    assert delivery.status == "pending" and delivery.url == "https://emr.example.org/hook"
    payload = json.loads(delivery.payload)
    assert payload["type"] == "collection"
    assert sum(e["resource"]["resourceType"] == "Patient" for e in payload["entry"]) == 3
    assert callbacks  # the delivery task is queued once the attachment commits


def test_no_webhook_no_row_and_a_failed_attach_leaves_none(provider, clinic, coordinator, moa, kamloops):
    from providers.capacity import declare_capacity

    declare_capacity(provider, accepting=True, new_patients=3)
    offer = offer_for(household(1, community=kamloops), coordinator)
    workflow.clinic_accept(offer.pk, by=moa)
    ClinicIntegration.objects.create(clinic=clinic, webhook_url="https://emr.example.org/hook",
                                     webhook_secret="s" * 32)
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.patient_confirm(offer.pk, by=coordinator)
        assert Delivery.objects.filter(offer=offer).exists()
        raise RuntimeError("the attach transaction rolls back")
    assert not Delivery.objects.exists()
    ClinicIntegration.objects.filter(clinic=clinic).update(webhook_url="", webhook_secret="")
    workflow.patient_confirm(offer.pk, by=coordinator)
    assert not Delivery.objects.exists()


def test_the_signature_is_hmac_sha256_of_timestamp_and_body():
    import hashlib
    import hmac

    body = b'{"resourceType":"Bundle"}'
    expected = hmac.new(b"secret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert outbox.sign("secret", "1700000000", body) == f"sha256={expected}"


def test_backoff_doubles_and_is_capped(settings):
    settings.ATTACH_WEBHOOK_BACKOFF_SECONDS = 30
    settings.ATTACH_WEBHOOK_BACKOFF_MAX_SECONDS = 3600
    assert [outbox.backoff(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(20) == 3600
