"""The workflow's pages: who may use each, what each shows, and that it is audited."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from attachment.core import roles
from attachment.core.models import AuditEvent
from attachment.workflow import services
from attachment.workflow.models import MatchRun, Offer, Proposal
from providers.models import ClinicMembership, Delegation
from tests.attachment.conftest import accepting_provider, offer_for, run
from tests.conftest import login
from tests.factories import ClinicFactory, UserFactory, community, household

pytestmark = pytest.mark.django_db


@pytest.fixture
def rival_moa(db):
    """An MOA of another clinic in the same community, acting for that clinic's provider."""
    from tests.factories import ProviderFactory

    clinic = ClinicFactory(community=community("Kamloops"), name="Rival Clinic")
    provider = ProviderFactory(clinic=clinic)
    user = UserFactory(username="rival-moa")
    roles.add_role(user, roles.MOA)
    ClinicMembership.objects.create(clinic=clinic, user=user)
    Delegation.objects.create(provider=provider, delegate=user, status=Delegation.Status.ACTIVE)
    roles.grant_provider(user, provider)
    return user


@pytest.fixture
def sent_offer(provider, kamloops, coordinator):
    """An offer to `provider`, whom the `moa` fixture acts for."""
    from providers.capacity import declare_capacity

    declare_capacity(provider, accepting=True, new_patients=2)
    reg = household(2, community=kamloops, languages=["pa"], needs=["maternity"])
    return offer_for(reg, coordinator)


def public_client(client):
    # A fresh address per test: the rate limit counts per address in the shared Redis.
    client.defaults["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    return client


# --- who may use what ------------------------------------------------------------------

COORDINATOR_PAGES = ["workflow:runs", "workflow:proposals", "workflow:offers"]


@pytest.mark.parametrize("name", COORDINATOR_PAGES)
def test_coordinator_pages_refuse_other_roles(client, moa, manager, name):
    assert client.get(reverse(name)).status_code == 302  # to the login page
    login(client, moa)
    assert client.get(reverse(name)).status_code == 403
    login(client, manager)
    assert client.get(reverse(name)).status_code == 403


def test_inbox_refuses_coordinators(client, coordinator):
    login(client, coordinator)
    assert client.get(reverse("workflow:inbox")).status_code == 403


def test_moa_never_sees_another_clinics_offers(client, sent_offer, moa, rival_moa):
    login(client, rival_moa)
    page = client.get(reverse("workflow:inbox"))
    assert page.status_code == 200
    assert sent_offer.registration.reference_code not in page.content.decode()
    assert client.get(reverse("workflow:inbox") + "?status=all").content.decode().count(
        sent_offer.registration.reference_code) == 0
    assert client.get(reverse("workflow:inbox_offer", args=[sent_offer.pk])).status_code == 404
    response = client.post(reverse("workflow:inbox_offer", args=[sent_offer.pk]), {"action": "accept"})
    assert response.status_code == 404
    sent_offer.refresh_from_db()
    assert sent_offer.status == "sent"

    login(client, moa)
    assert sent_offer.registration.reference_code in client.get(reverse("workflow:inbox")).content.decode()


def test_moa_loses_the_inbox_when_the_delegation_ends(client, sent_offer, moa, provider):
    roles.revoke_provider(moa, sent_offer.provider)
    login(client, moa)
    assert client.get(reverse("workflow:inbox_offer", args=[sent_offer.pk])).status_code == 404


def test_coordinator_of_another_division_gets_404(client, sent_offer, other_coordinator):
    login(client, other_coordinator)
    assert client.get(reverse("workflow:offer", args=[sent_offer.pk])).status_code == 404
    assert sent_offer.registration.reference_code not in client.get(
        reverse("workflow:offers") + "?status=all").content.decode()


def test_coordinator_of_another_division_cannot_send_or_skip(client, clinic, kamloops, coordinator, other_coordinator):
    accepting_provider(clinic, 1)
    reg = household(1, community=kamloops)
    run()
    proposal = Proposal.objects.get(registration=reg)
    login(client, other_coordinator)
    assert client.get(reverse("workflow:skip", args=[proposal.pk])).status_code == 404
    client.post(reverse("workflow:send_offers"), {"proposal": [proposal.pk]})
    proposal.refresh_from_db()
    assert proposal.status == "proposed"
    assert reg.reference_code not in client.get(reverse("workflow:proposals")).content.decode()


def test_run_form_refuses_a_division_outside_scope(client, coordinator, other_division):
    login(client, coordinator)
    response = client.post(reverse("workflow:runs"), {"division": other_division.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not MatchRun.objects.exists()


# --- the coordinator's pages ---------------------------------------------------------------

def test_start_run_shows_progress_then_the_result(client, clinic, kamloops, coordinator, django_capture_on_commit_callbacks):
    accepting_provider(clinic, 1)
    household(1, community=kamloops)
    login(client, coordinator)
    # The task is queued after commit; here the callbacks are captured, not sent to Redis,
    # and the run is carried out in-process to see the page before and after.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("workflow:runs"), {"division": kamloops.division_id, "community": kamloops.pk})
    assert len(callbacks) == 1
    run_obj = MatchRun.objects.get()
    assert response.url == reverse("workflow:run", args=[run_obj.pk])
    assert run_obj.parameters == {"division": kamloops.division_id, "community": kamloops.pk}
    page = client.get(response.url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Queued" in page

    from attachment.matching.db import run_matching

    run_matching(run_obj)
    fragment = client.get(reverse("workflow:run_progress", args=[run_obj.pk])).content.decode()
    assert "hx-trigger" not in fragment
    assert "<strong>1</strong> households" in fragment
    assert AuditEvent.objects.filter(action="create", object_type="attachment.MatchRun").exists()


def test_proposals_list_sends_many_and_skips_with_reason(client, clinic, kamloops, coordinator):
    provider = accepting_provider(clinic, 3)
    regs = [household(1, community=kamloops, languages=["pa"]) for _ in range(3)]
    run()
    login(client, coordinator)
    page = client.get(reverse("workflow:proposals")).content.decode()
    for reg in regs:
        assert reg.reference_code in page
    assert "Most room left" in page  # the reasons are shown
    proposals = list(Proposal.objects.order_by("pk"))

    client.post(reverse("workflow:send_offers"), {"proposal": [proposals[0].pk, proposals[1].pk]})
    assert Offer.objects.filter(status="sent").count() == 2

    response = client.post(reverse("workflow:skip", args=[proposals[2].pk]), {"reason": ""})
    assert "Why skip this proposal?: This field is required." in response.content.decode()
    client.post(reverse("workflow:skip", args=[proposals[2].pk]), {"reason": "Household asked to wait"})
    proposals[2].refresh_from_db()
    assert proposals[2].status == "skipped"
    provider.refresh_from_db()
    assert provider.open_capacity == 1
    assert AuditEvent.objects.filter(action="view", object_type="attachment.Proposal").exists()


def test_clinic_accepts_then_coordinator_sees_the_message_and_records_yes(
    client, sent_offer, moa, coordinator, mailoutbox
):
    login(client, moa)
    page = client.get(reverse("workflow:inbox_offer", args=[sent_offer.pk])).content.decode()
    member = sent_offer.registration.members.first()
    assert f"{member.first_name} {member.last_name}" in page
    assert "Punjabi" in page and "Maternity" in page
    assert member.phn not in page  # the short profile only
    when = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT10:30")
    client.post(reverse("workflow:inbox_offer", args=[sent_offer.pk]), {"action": "meet", "at": when})
    with_errors = client.post(reverse("workflow:inbox_offer", args=[sent_offer.pk]), {"action": "meet", "at": "soon"})
    assert "Enter a valid date/time" in with_errors.content.decode()
    client.post(reverse("workflow:inbox_offer", args=[sent_offer.pk]), {"action": "accept"})
    sent_offer.refresh_from_db()
    assert sent_offer.status == "clinic_accepted" and sent_offer.meet_and_greet_at is not None
    assert AuditEvent.objects.filter(action="view", object_id=str(sent_offer.pk), user=moa).exists()

    login(client, coordinator)
    page = client.get(reverse("workflow:offer", args=[sent_offer.pk])).content.decode()
    assert "Message for the household" in page and sent_offer.registration.reference_code in page
    missing_reason = client.post(reverse("workflow:offer", args=[sent_offer.pk]), {"form": "answer", "answer": "no"})
    assert "Say why the household declines." in missing_reason.content.decode()
    client.post(reverse("workflow:offer", args=[sent_offer.pk]), {"form": "answer", "answer": "yes"})
    sent_offer.refresh_from_db()
    assert sent_offer.status == "attached"


def test_clinic_decline_needs_a_reason(client, sent_offer, moa):
    login(client, moa)
    response = client.post(reverse("workflow:inbox_offer", args=[sent_offer.pk]), {"action": "decline", "reason": ""})
    assert "This field is required" in response.content.decode()
    client.post(reverse("workflow:inbox_offer", args=[sent_offer.pk]), {"action": "decline", "reason": "Not taking maternity"})
    sent_offer.refresh_from_db()
    assert sent_offer.status == "clinic_declined"


# --- the household's own page -----------------------------------------------------------------

def test_household_confirms_online_with_code_and_birth_date(client, sent_offer, moa):
    services.clinic_accept(sent_offer.pk, by=moa)
    reg = sent_offer.registration
    member = reg.members.first()
    client = public_client(client)
    url = reverse("offer:respond", args=[reg.reference_code])

    wrong = client.post(url, {"reference_code": reg.reference_code, "date_of_birth": "1901-01-01"})
    assert "could not find an offer" in wrong.content.decode()
    assert sent_offer.provider.last_name not in wrong.content.decode()

    ok = client.post(url, {"reference_code": reg.reference_code.lower(), "date_of_birth": member.date_of_birth.isoformat()})
    assert ok.status_code == 302
    page = client.get(url).content.decode()
    assert sent_offer.provider.last_name in page and sent_offer.clinic.name in page
    client.post(url, {"answer": "yes"})
    sent_offer.refresh_from_db()
    assert sent_offer.status == "attached" and sent_offer.patient_answer_recorded_by is None
    # The verification is spent: the page asks again.
    assert "Reference code" in client.get(url).content.decode()


def test_household_page_is_rate_limited(client, sent_offer, settings):
    settings.ATTACH_LOOKUP_RATE = "2/15m"
    reg = sent_offer.registration
    client = public_client(client)
    url = reverse("offer:respond", args=[reg.reference_code])
    for _ in range(2):
        assert client.post(url, {"reference_code": reg.reference_code, "date_of_birth": "1901-01-01"}).status_code == 200
    member = reg.members.first()
    refused = client.post(url, {"reference_code": reg.reference_code, "date_of_birth": member.date_of_birth.isoformat()})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()


def test_runs_page_lists_scheduled_and_failed_runs(client, coordinator, thompson):
    scheduled = MatchRun.objects.create(parameters={"division": None, "community": None},
                                        status="succeeded", figures={"registrations": 0, "proposed": 0,
                                                                     "people": 0, "unmatched": 0,
                                                                     "total_seconds": 0.1})
    failed = MatchRun.objects.create(started_by=coordinator, parameters={"division": thompson.pk, "community": None},
                                     status="failed", error="OperationalError: server closed the connection")
    login(client, coordinator)
    page = client.get(reverse("workflow:runs")).content.decode()
    assert f"Run {scheduled.pk}" in page and "Schedule" in page and f"Run {failed.pk}" in page
    assert "the schedule" in client.get(reverse("workflow:run", args=[scheduled.pk])).content.decode()
    assert "server closed the connection" in client.get(reverse("workflow:run", args=[failed.pk])).content.decode()


# --- the clinic's answer: confirm the accept, no decline after it, the meet-and-greet told ---------

def test_accepting_asks_first_without_javascript(client, sent_offer, moa):
    login(client, moa)
    url = reverse("workflow:inbox_offer", args=[sent_offer.pk])
    page = client.get(url).content.decode()
    assert "Accept this household…" in page and 'name="confirm" value="accept"' in page
    assert 'name="action" value="accept"' not in page  # no one-click accept
    step = client.get(url + "?confirm=accept").content.decode()
    assert "Accept this household?" in step and "Yes, accept this household" in step
    assert 'name="action" value="accept"' in step
    sent_offer.refresh_from_db()
    assert sent_offer.status == "sent"  # asking changed nothing
    client.post(url, {"action": "accept"})
    sent_offer.refresh_from_db()
    assert sent_offer.status == "clinic_accepted"


def test_decline_is_gone_once_accepted(client, sent_offer, moa):
    services.clinic_accept(sent_offer.pk, by=moa)
    login(client, moa)
    url = reverse("workflow:inbox_offer", args=[sent_offer.pk])
    page = client.get(url).content.decode()
    assert 'value="decline"' not in page and "ask the attachment coordinator to withdraw" in page
    assert "Accept this household?" not in client.get(url + "?confirm=accept").content.decode()
    client.post(url, {"action": "decline", "reason": "Changed our mind"})
    sent_offer.refresh_from_db()
    assert sent_offer.status == "clinic_accepted"
    with pytest.raises(services.WorkflowError, match="withdraw"):
        services.clinic_decline(sent_offer.pk, by=moa, reason="Changed our mind")


def test_booking_a_meet_and_greet_tells_the_household(
    client, sent_offer, moa, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, moa)
    when = (timezone.localtime() + datetime.timedelta(days=3)).replace(hour=14, minute=15, second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("workflow:inbox_offer", args=[sent_offer.pk]),
                    {"action": "meet", "at": when.strftime("%Y-%m-%dT%H:%M")})
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [sent_offer.registration.email]
    # The day and time as the household's language writes them (here English, en-CA's formats).
    assert f"{when:%A} {when.day} {when:%b} {when.year} at" in mail.body and sent_offer.clinic.name in mail.body
    sent_offer.refresh_from_db()
    assert sent_offer.meet_and_greet_notified_at is not None

    login(client, coordinator)
    page = client.get(reverse("workflow:offer", args=[sent_offer.pk])).content.decode()
    from django.utils.formats import time_format

    assert "Meet-and-greet message for the household" in page and time_format(when, "TIME_FORMAT") in page
    assert f"This was emailed to {sent_offer.registration.email}" in page


def test_a_household_without_email_gets_the_meet_and_greet_by_phone(
    client, sent_offer, moa, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    from patients.models import Registration

    Registration.objects.filter(pk=sent_offer.registration_id).update(email="")
    when = timezone.now() + datetime.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.book_meet_and_greet(sent_offer.pk, at=when, by=moa)
    assert mailoutbox == []
    login(client, coordinator)
    page = client.get(reverse("workflow:offer", args=[sent_offer.pk])).content.decode()
    assert "No email was sent." in page and 'id="meet-message"' in page


def test_the_clinic_workspace_counts_the_offers_that_wait(client, sent_offer, moa, rival_moa):
    login(client, moa)
    assert "1 offer waits for your answer." in client.get(reverse("providers:workspace")).content.decode()
    login(client, rival_moa)
    assert "No offer waits for your answer." in client.get(reverse("providers:workspace")).content.decode()
    services.clinic_accept(sent_offer.pk, by=moa)
    login(client, moa)
    assert "No offer waits for your answer." in client.get(reverse("providers:workspace")).content.decode()
