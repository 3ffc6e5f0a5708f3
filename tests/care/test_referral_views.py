"""Referral pages as people use them: in scope only (404 outside, by URL and list),
audited, a move refused on its field with a 400 and nothing saved."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from attachment.core.models import AuditEvent
from care import referrals
from care.models import Referral, ReferralType
from tests.care.conftest import actor
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(care_coordinator, patient):
    return referrals.make_referral(patient, type=ReferralType.objects.get(code="home_support"),
                                   service="Interior Health home support", reason="Help with bathing",
                                   sent_on=timezone.localdate() - datetime.timedelta(days=30),
                                   actor=actor(care_coordinator))


def test_make_and_move_a_referral_through_the_pages(client, care_coordinator, patient):
    login(client, care_coordinator)
    today = timezone.localdate()
    kind = ReferralType.objects.get(code="social_prescribing")
    response = client.post(reverse("care:referral_new", args=[patient.pk]), {
        "type": kind.pk, "service": "Kamloops link worker", "reason": "Lonely since her husband died",
        "priority": "routine", "sent_on": today.isoformat(), "records_sent": "on"})
    assert response.status_code == 302
    ref = Referral.objects.get()
    assert ref.records_sent and ref.step == "requested"
    page = client.get(reverse("care:patient", args=[patient.pk]))
    assert b"Kamloops link worker" in page.content
    # Seen before it was sent: refused on the date, nothing saved.
    bad = client.post(reverse("care:referral", args=[ref.pk]), {
        "to_step": "accepted", "on": (today - datetime.timedelta(days=3)).isoformat()})
    assert bad.status_code == 400 and b"before the referral was sent" in bad.content
    ref.refresh_from_db()
    assert ref.step == "requested"
    # A step the machine does not allow from here is not even offered.
    assert b'value="seen"' not in client.get(reverse("care:referral", args=[ref.pk])).content
    assert client.post(reverse("care:referral", args=[ref.pk]), {"to_step": "seen", "on": today}).status_code == 400
    ok = client.post(reverse("care:referral", args=[ref.pk]), {"to_step": "accepted", "on": today.isoformat()})
    assert ok.status_code == 302
    ref.refresh_from_db()
    assert ref.step == "accepted" and ref.accepted_on == today


def test_overdue_list_and_scope(client, care_coordinator, shuswap_coordinator, provider_user, referral):
    login(client, care_coordinator)
    page = client.get(reverse("care:referrals_overdue"))
    assert page.status_code == 200 and b"Interior Health home support" in page.content
    assert AuditEvent.objects.filter(user=care_coordinator, object_type="care.Referral", action="view").exists()
    login(client, shuswap_coordinator)
    assert client.get(reverse("care:referral", args=[referral.pk])).status_code == 404
    assert b"Interior Health" not in client.get(reverse("care:referrals_overdue")).content
    assert client.get(reverse("care:referral_new", args=[referral.patient_id])).status_code == 404
    # The patient's provider reads it, and cannot move it.
    login(client, provider_user)
    page = client.get(reverse("care:referral", args=[referral.pk]))
    assert page.status_code == 200 and b"Move it on" not in page.content
    assert client.get(reverse("care:referrals_overdue")).status_code in (302, 403)
