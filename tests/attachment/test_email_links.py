"""Every link in an email to the public is absolute, from ATTACH_PUBLIC_URL, whoever sends it.

A task has no HTTP request to build a link from: these send from tasks and commands.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from attachment.workflow import services
from patients import services as patient_services
from patients.tasks import send_reminders
from tests.attachment.conftest import accepting_provider, offer_for
from tests.factories import household

pytestmark = pytest.mark.django_db

PUBLIC = "https://attach.example.ca"
LINK = re.compile(r"(?:https?://\S+|(?<![\w/])/[\w/-]+/)")


def links(body: str) -> list[str]:
    return LINK.findall(body)


@pytest.fixture(autouse=True)
def public_url(settings):
    settings.ATTACH_PUBLIC_URL = PUBLIC


def test_the_clinic_accepted_email_links_to_the_answer_page_absolutely(clinic, kamloops, coordinator, moa,
                                                                       django_capture_on_commit_callbacks):
    accepting_provider(clinic, 1)
    reg = household(1, community=kamloops, email="family@example.org")
    offer = offer_for(reg, coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        services.clinic_accept(offer.pk, by=moa)  # no request: as a task or an API call would
    found = links(mail.outbox[0].body)
    assert found == [f"{PUBLIC}/offer/{reg.reference_code}/"]


def test_the_reminder_sent_by_the_beat_task_links_to_the_status_page_absolutely():
    household(1, registered_at=timezone.now() - timedelta(days=200), email="waiting@example.org")
    send_reminders.apply()
    assert len(mail.outbox) == 1
    assert links(mail.outbox[0].body) == [f"{PUBLIC}/status/"]


def test_the_confirmation_email_links_to_the_status_page_absolutely():
    reg = household(1, email="new@example.org")
    patient_services.send_confirmation(reg.pk)
    assert links(mail.outbox[0].body) == [f"{PUBLIC}/status/"]
