"""'Still waiting' reminders: emails by Celery beat, a call list for households without email."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from attachment.core.models import JobRun
from patients import services
from patients.models import ContactNote
from tests.conftest import login
from tests.factories import household


def ago(days):
    return timezone.now() - datetime.timedelta(days=days)


@pytest.mark.django_db
def test_reminders_go_to_those_due_once_and_not_again_the_same_day(settings):
    settings.ATTACH_REMINDER_INTERVAL_DAYS = 91
    due = [household(1, registered_at=ago(100)) for _ in range(3)]
    reminded_long_ago = household(1, registered_at=ago(400), last_reminder_at=ago(95))
    recent = household(1, registered_at=ago(30))
    reminded_lately = household(1, registered_at=ago(400), last_reminder_at=ago(10))
    attached = household(1, registered_at=ago(300), status="attached")
    no_email = household(1, registered_at=ago(200), email="")

    figures = services.send_due_reminders(batch_size=2)  # several batches
    assert figures == {"emailed": 4, "to_call": 1}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in due + [reminded_long_ago])
    assert all("still on the waitlist" in m.subject and "8-1-1" in m.body for m in mail.outbox)
    for r in due + [reminded_long_ago]:
        r.refresh_from_db()
        assert r.last_reminder_at is not None
        assert ContactNote.objects.filter(registration=r, is_reminder=True, kind="email", outcome="sent").exists()
    for r in (recent, reminded_lately, attached, no_email):
        assert r.email not in [m.to[0] for m in mail.outbox]

    assert services.send_due_reminders() == {"emailed": 0, "to_call": 1}
    assert len(mail.outbox) == 4


@pytest.mark.django_db
def test_the_call_list_shows_due_households_without_email_in_scope(client, coordinator, other_division):
    from registries.models import Community

    to_call = household(1, registered_at=ago(120), email="", phone="250-555-0177")
    household(1, registered_at=ago(120))  # has email: gets the email instead
    household(1, registered_at=ago(20), email="")  # not due yet
    elsewhere = household(1, registered_at=ago(200), email="", community=Community.objects.get(name="Victoria"))
    login(client, coordinator)
    response = client.get(reverse("patients:call_list"))
    assert [r.pk for r in response.context["rows"]] == [to_call.pk]
    assert elsewhere.reference_code not in response.content.decode()

    # Recording the reminder call takes them off the list until the next interval.
    back = client.post(reverse("patients:add_note", args=[to_call.pk]),
                       {"kind": "call", "outcome": "reached", "is_reminder": "on", "next": reverse("patients:call_list")})
    assert back["Location"] == reverse("patients:call_list")
    assert client.get(reverse("patients:call_list")).context["rows"] == []
    to_call.refresh_from_db()
    assert to_call.last_reminder_at is not None


@pytest.mark.django_db
def test_the_schedule_is_in_the_database():
    task = PeriodicTask.objects.get(task="patients.tasks.send_reminders")
    assert task.enabled and task.crontab.hour == "9"


def test_the_beat_task_runs_on_a_real_worker(celery_worker_real, settings):
    from patients.tasks import send_reminders

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    registration = household(1, registered_at=ago(100))
    result = send_reminders.delay().get(timeout=30)
    assert result == {"emailed": 1, "to_call": 0}
    assert [m.to for m in mail.outbox] == [[registration.email]]
    registration.refresh_from_db()
    assert registration.last_reminder_at is not None
    assert JobRun.objects.get(name="patients.send_reminders").outcome == "succeeded"
    # A second run (a retry, or beat firing twice) sends nothing more.
    assert send_reminders.delay().get(timeout=30)["emailed"] == 0
    assert len(mail.outbox) == 1
