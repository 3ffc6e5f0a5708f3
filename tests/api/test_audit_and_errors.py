"""API reads are audited naming the client; errors have one body with their fields; limits hold."""

import datetime

import pytest
from django.core.cache import caches

from attachment.core import roles
from attachment.core.models import AuditEvent
from attachment.workflow.models import Offer
from tests.api.conftest import bearer, post_json, register
from tests.conftest import login
from tests.factories import next_phn

pytestmark = pytest.mark.django_db


def test_api_reads_of_people_are_audited_naming_the_client(client, api_world, thompson):
    api_client, secret = register(roles.COORDINATOR, [thompson], name="Interior Health warehouse")
    headers = bearer(client, api_client, secret)
    registration = api_world["registration"]
    client.get("/api/v1/registrations/", **headers, REMOTE_ADDR="10.9.8.7")
    listed = AuditEvent.objects.filter(object_type="patients.Registration", object_id="list").latest("pk")
    assert listed.user == api_client.user and listed.action == "view"
    assert "API client Interior Health warehouse" in listed.summary and listed.ip_address == "10.9.8.7"
    client.get(f"/api/v1/registrations/{registration.pk}/", **headers)
    read = AuditEvent.objects.filter(object_type="patients.Registration", object_id=str(registration.pk)).latest("pk")
    assert read.user == api_client.user and "API client Interior Health warehouse" in read.summary


def test_a_clinic_systems_panel_reads_and_changes_are_audited_naming_it(client, api_world):
    provider = api_world["provider"]
    api_client, secret = register(roles.MOA, [provider], name="Riverside EMR")
    headers = bearer(client, api_client, secret)
    client.get(f"/api/v1/panels/{provider.pk}/entries/", **headers)
    client.get(f"/api/v1/offers/{api_world['offer'].pk}/", **headers)
    added = post_json(client, f"/api/v1/panels/{provider.pk}/entries/",
                      {"phn": next_phn(), "first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1990-02-03"},
                      **headers)
    assert added.status_code == 201, added.content
    events = AuditEvent.objects.filter(user=api_client.user)
    assert {e.action for e in events} >= {"view", "create"}
    assert all("API client Riverside EMR" in e.summary for e in events)
    assert events.filter(object_type="attachment.Offer", object_id=str(api_world["offer"].pk)).exists()


def test_a_person_using_the_api_is_audited_as_themself(client, api_world):
    login(client, api_world["coordinator"])
    client.get("/api/v1/registrations/")
    event = AuditEvent.objects.filter(object_type="patients.Registration", object_id="list").latest("pk")
    assert event.user == api_world["coordinator"] and "API client" not in event.summary


def test_field_errors_name_the_field(client, api_world):
    login(client, api_world["moa"])
    url = f"/api/v1/panels/{api_world['provider'].pk}/entries/"
    missing = post_json(client, url, {"phn": "9123456789"})
    assert missing.status_code == 400
    error = missing.json()["error"]
    assert error["status"] == 400 and error["code"] == "invalid"
    assert set(error["fields"]) == {"first_name", "last_name", "date_of_birth"}
    bad_phn = post_json(client, url, {"phn": "9123456780", "first_name": "A", "last_name": "B",
                                      "date_of_birth": "1990-01-01"})
    assert bad_phn.status_code == 400
    assert "check digit" in bad_phn.json()["error"]["fields"]["phn"][0]  # the service's DomainError


def test_a_service_refusal_is_a_409_with_its_reason(client, api_world):
    login(client, api_world["moa"])
    offer = api_world["offer"]
    Offer.objects.filter(pk=offer.pk).update(expires_at=offer.sent_at - datetime.timedelta(days=1))
    response = post_json(client, f"/api/v1/offers/{offer.pk}/accept/", {})
    assert response.status_code == 409
    assert response.json() == {"error": {"status": 409, "code": "refused",
                                         "message": "This offer has expired; the place goes back to the waitlist."}}


def test_not_found_and_forbidden_have_the_same_body(client, api_world):
    login(client, api_world["moa"])
    assert client.get("/api/v1/offers/999999/").json()["error"]["code"] == "not_found"
    forbidden = client.get("/api/v1/registrations/")
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "permission_denied"


def test_a_client_over_its_rate_is_told_to_wait(client, api_world, thompson, settings):
    settings.ATTACH_API_RATE = "3/min"
    api_client, secret = register(roles.COORDINATOR, [thompson])
    headers = bearer(client, api_client, secret)
    statuses = [client.get("/api/v1/runs/", **headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/runs/", **headers)
    assert limited.json()["error"]["code"] == "throttled" and int(limited["Retry-After"]) > 0
    # Counted per caller: another client has its own.
    other, other_secret = register(roles.COORDINATOR, [thompson], name="Second system")
    assert client.get("/api/v1/runs/", **bearer(client, other, other_secret)).status_code == 200
    assert caches["ratelimit"].get(f"throttle:api:user:{api_client.user.pk}:{api_client.user.date_joined.timestamp()}")
