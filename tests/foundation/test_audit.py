import pytest

from attachment.core import audit
from attachment.core.models import AuditEvent
from tests.factories import household

pytestmark = pytest.mark.django_db


def test_record_writes_who_what_when_where(rf, coordinator):
    registration = household(2)
    request = rf.get("/x", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1", HTTP_USER_AGENT="pytest")
    request.user = coordinator
    event = audit.record(user=coordinator, action="view", obj=registration, request=request, summary="Opened")
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
