import pytest

from attachment.core import audit
from attachment.core.models import AuditEvent
from tests.factories import household

pytestmark = pytest.mark.django_db


def test_record_writes_who_what_when_where(rf, coordinator, settings):
    # Behind the configured proxy (10.0.0.1), the client is the hop the proxy saw.
    settings.ATTACH_TRUSTED_PROXIES = ["10.0.0.0/8"]
    registration = household(2)
    request = rf.get("/x", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", HTTP_USER_AGENT="pytest",
                     REMOTE_ADDR="10.0.0.1")
    request.user = coordinator
    event = audit.record(action="view", obj=registration, actor=audit.Actor.from_request(request), summary="Opened")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.user == coordinator
    assert (stored.object_type, stored.object_id) == ("patients.Registration", str(registration.pk))
    assert stored.ip_address == "203.0.113.9"
    assert stored.user_agent == "pytest"
    assert stored.at is not None


def test_diff_lists_only_changed_fields():
    registration = household(1, phone="250-555-0000")
    before = audit.snapshot(registration, ["phone", "email"])
    registration.phone = "250-555-1111"
    assert audit.diff(registration, before, ["phone", "email"]) == {"phone": ["250-555-0000", "250-555-1111"]}


def test_status_change_is_audited_with_history(coordinator):
    from patients.services import set_status

    registration = household(1)
    set_status(registration, "withdrawn", by=coordinator, reason="Found a provider")
    event = AuditEvent.objects.get(object_id=str(registration.pk), action="status")
    assert event.user == coordinator and event.reason == "Found a provider"
    assert list(registration.status_history.values_list("from_status", "to_status")) == [("waiting", "withdrawn")]


def test_a_forwarded_header_from_an_untrusted_peer_is_not_believed(rf, coordinator, settings):
    settings.ATTACH_TRUSTED_PROXIES = []
    request = rf.get("/x", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="127.0.0.1")
    request.user = coordinator
    event = audit.record(action="view", obj=household(1), actor=audit.Actor.from_request(request))
    assert AuditEvent.objects.get(pk=event.pk).ip_address == "127.0.0.1"


def test_a_proxy_chain_yields_the_first_untrusted_hop_from_the_right(rf, settings):
    from attachment.core.http import client_address

    settings.ATTACH_TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.7"]
    request = rf.get("/x", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4, 192.0.2.7", REMOTE_ADDR="10.1.2.3")
    assert client_address(request) == "198.51.100.4"


def test_a_task_actor_is_named_in_the_trail(coordinator):
    registration = household(1)
    event = audit.record(action="status", obj=registration, actor=audit.Actor.task("offer_expiry"), summary="Expired")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.user is None and stored.ip_address is None
    assert stored.summary == "Expired (task offer_expiry)"
