"""The offer workflow's services: places are taken, held, consumed or given back exactly once."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from attachment.core.models import AuditEvent
from attachment.workflow import services
from attachment.workflow.capacity_refresh import expected_open_capacity, recompute_open_capacity
from attachment.workflow.models import DeclinedPair, MatchRun, Offer, Proposal
from patients.models import Registration
from providers.capacity import declare_capacity
from registries.models import PanelEntry
from tests.attachment.conftest import accepting_provider, offer_for, run
from tests.factories import ProviderFactory, household

pytestmark = pytest.mark.django_db


def open_capacity(provider):
    provider.refresh_from_db(fields=["open_capacity"])
    return provider.open_capacity


def assert_no_drift(*providers):
    expected = expected_open_capacity([p.pk for p in providers])
    for pid, (stored, should) in expected.items():
        assert stored == should, f"provider {pid}: stored {stored}, history says {should}"


def test_run_proposes_in_rank_order_and_takes_places(clinic, kamloops, coordinator):
    provider = accepting_provider(clinic, 3)
    urgent = household(2, community=kamloops, priority=5)
    older = household(1, community=kamloops, registered_at=timezone.now() - datetime.timedelta(days=400))
    newer = household(1, community=kamloops)

    match_run = run(coordinator, division=kamloops.division_id)

    assert match_run.status == MatchRun.Status.SUCCEEDED
    proposed = set(Proposal.objects.values_list("registration_id", flat=True))
    assert proposed == {urgent.pk, older.pk}  # 2 + 1 places; the newest waits
    assert open_capacity(provider) == 0
    assert match_run.figures["proposed"] == 2 and match_run.figures["people"] == 3
    assert Registration.objects.get(pk=newer.pk).status == "waiting"
    reasons = Proposal.objects.get(registration=urgent).reasons
    assert any("Priority 5" in r for r in reasons)
    assert any("eligible providers in Kamloops" in r for r in reasons), reasons
    assert_no_drift(provider)


def test_second_run_does_not_propose_a_registration_twice(clinic, kamloops):
    accepting_provider(clinic, 5)
    reg = household(1, community=kamloops)
    run()
    second = run()
    assert second.figures["proposed"] == 0
    assert Proposal.objects.filter(registration=reg).count() == 1


def test_run_limited_to_a_community_leaves_others_alone(clinic, kamloops):
    from tests.factories import community

    accepting_provider(clinic, 5)
    here = household(1, community=kamloops)
    elsewhere = household(1, community=community("Merritt"))
    run(community=kamloops.pk)
    assert Proposal.objects.filter(registration=here).exists()
    assert not Proposal.objects.filter(registration=elsewhere).exists()


def test_suspended_registrations_are_not_proposed(clinic, kamloops):
    accepting_provider(clinic, 5)
    household(1, community=kamloops, suspended_at=timezone.now())
    assert run().figures["proposed"] == 0


def test_skip_returns_places_and_can_bar_the_pair(clinic, kamloops, coordinator):
    provider = accepting_provider(clinic, 2)
    reg = household(2, community=kamloops)
    run()
    proposal = Proposal.objects.get(registration=reg)
    assert open_capacity(provider) == 0

    with pytest.raises(services.WorkflowError):
        services.skip_proposal(proposal.pk, by=coordinator, reason="  ")
    services.skip_proposal(proposal.pk, by=coordinator, reason="Family moved to Kelowna", never_again=True)

    assert open_capacity(provider) == 2
    assert DeclinedPair.objects.filter(registration=reg, provider=provider, by="coordinator").exists()
    assert run().figures["proposed"] == 0  # the only provider is barred for this household
    assert_no_drift(provider)


def test_offer_holds_places_then_clinic_decline_returns_them_and_bars_the_pair(
    clinic, kamloops, coordinator, moa
):
    provider = accepting_provider(clinic, 2)
    reg = household(2, community=kamloops)
    offer = offer_for(reg, coordinator)
    reg.refresh_from_db()
    assert reg.status == "offered" and offer.status == "sent" and offer.clinic == clinic
    assert open_capacity(provider) == 0

    with pytest.raises(services.WorkflowError):
        services.clinic_decline(offer.pk, by=moa, reason="")
    services.clinic_decline(offer.pk, by=moa, reason="Panel full for complex care")

    reg.refresh_from_db()
    assert reg.status == "waiting"
    assert open_capacity(provider) == 2
    assert DeclinedPair.objects.get(registration=reg, provider=provider).by == "clinic"
    # Never proposed again, even though the provider has room and nobody else does.
    assert run().figures["proposed"] == 0
    other = accepting_provider(clinic, 2)
    run()
    assert Proposal.objects.get(registration=reg, status="proposed").provider == other
    assert_no_drift(provider, other)


def test_attach_makes_panel_entries_consumes_places_and_audits(clinic, kamloops, coordinator, moa):
    provider = accepting_provider(clinic, 4)
    reg = household(3, community=kamloops)
    offer = offer_for(reg, coordinator)
    services.book_meet_and_greet(offer.pk, at=timezone.now() + datetime.timedelta(days=3), by=moa)
    services.clinic_accept(offer.pk, by=moa)
    assert open_capacity(provider) == 1

    services.patient_confirm(offer.pk, by=coordinator)

    offer.refresh_from_db()
    reg.refresh_from_db()
    assert offer.status == "attached" and offer.patient_answer_recorded_by == coordinator
    assert reg.status == "attached"
    entries = PanelEntry.objects.filter(provider=provider, ended_at__isnull=True, source="attach")
    assert set(entries.values_list("patient_id", flat=True)) == set(reg.members.values_list("pk", flat=True))
    assert entries.count() == 3
    assert open_capacity(provider) == 1  # consumed, not taken a second time, not given back
    event = AuditEvent.objects.get(action="attach", object_id=str(offer.pk))
    assert event.user == coordinator and "3 people" in event.summary
    assert_no_drift(provider)
    # A second confirmation changes nothing.
    with pytest.raises(services.WorkflowError):
        services.patient_confirm(offer.pk, by=coordinator)
    assert PanelEntry.objects.filter(provider=provider).count() == 3


def test_attach_ends_an_older_panel_entry_elsewhere(clinic, kamloops, coordinator, moa):
    provider = accepting_provider(clinic, 1)
    elsewhere = ProviderFactory()
    reg = household(1, community=kamloops)
    member = reg.members.get()
    PanelEntry.objects.create(patient=member, provider=elsewhere, since=datetime.date(2015, 1, 1), source="upload")
    offer = offer_for(reg, coordinator)
    services.clinic_accept(offer.pk, by=moa)
    services.patient_confirm(offer.pk, by=coordinator)
    assert PanelEntry.objects.get(patient=member, ended_at__isnull=True).provider == provider
    assert PanelEntry.objects.get(patient=member, provider=elsewhere).end_reason


def test_clinic_accept_emails_the_patient(clinic, kamloops, coordinator, moa, django_capture_on_commit_callbacks):
    accepting_provider(clinic, 1)
    reg = household(1, community=kamloops, email="family@example.org")
    offer = offer_for(reg, coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        services.clinic_accept(offer.pk, by=moa)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["family@example.org"]
    assert reg.reference_code in mail.outbox[0].body
    offer.refresh_from_db()
    assert offer.patient_notified_at is not None


def test_patient_decline_returns_places_and_bars_the_pair(clinic, kamloops, coordinator, moa):
    provider = accepting_provider(clinic, 1)
    reg = household(1, community=kamloops)
    offer = offer_for(reg, coordinator)
    with pytest.raises(services.WorkflowError):  # the clinic has not answered yet
        services.patient_decline(offer.pk, by=coordinator, reason="Too far")
    services.clinic_accept(offer.pk, by=moa)
    services.patient_decline(offer.pk, by=coordinator, reason="Too far to travel")
    reg.refresh_from_db()
    assert reg.status == "waiting"
    assert open_capacity(provider) == 1
    assert DeclinedPair.objects.get(registration=reg).by == "patient"
    assert run().figures["proposed"] == 0


def test_expiry_returns_place_and_registration(clinic, kamloops, coordinator, moa, settings):
    provider = accepting_provider(clinic, 1)
    reg = household(1, community=kamloops)
    offer = offer_for(reg, coordinator)
    assert services.expire_offers() == 0  # not due yet
    later = timezone.now() + datetime.timedelta(days=settings.ATTACH_OFFER_EXPIRY_DAYS, minutes=1)
    assert services.expire_offers(now=later) == 1
    offer.refresh_from_db()
    reg.refresh_from_db()
    assert offer.status == "expired" and reg.status == "waiting"
    assert open_capacity(provider) == 1
    assert not DeclinedPair.objects.exists()  # nobody declined: the pair may be proposed again
    with pytest.raises(services.WorkflowError):
        services.clinic_accept(offer.pk, by=moa)


def test_places_taken_under_an_older_declaration_are_not_given_to_the_new_one(clinic, kamloops, coordinator):
    provider = accepting_provider(clinic, 2)
    reg = household(2, community=kamloops)
    run()
    declare_capacity(provider, accepting=True, new_patients=1)  # the provider cut back
    services.skip_proposal(Proposal.objects.get(registration=reg).pk, by=coordinator, reason="Duplicate")
    assert open_capacity(provider) == 1
    assert_no_drift(provider)


def test_withdraw_offer(clinic, kamloops, coordinator):
    provider = accepting_provider(clinic, 1)
    reg = household(1, community=kamloops)
    offer = offer_for(reg, coordinator)
    services.withdraw_offer(offer.pk, by=coordinator, reason="Household asked to wait")
    reg.refresh_from_db()
    assert reg.status == "waiting" and open_capacity(provider) == 1


def test_send_many_reports_the_ones_that_no_longer_apply(clinic, kamloops, coordinator):
    from patients.services import set_status

    accepting_provider(clinic, 3)
    regs = [household(1, community=kamloops) for _ in range(3)]
    run()
    set_status(regs[0], "withdrawn", by=coordinator, reason="Found a doctor")
    ids = Proposal.objects.values_list("pk", flat=True)
    offers, problems = services.send_offers(ids, by=coordinator)
    assert len(offers) == 2 and len(problems) == 1
    assert regs[0].reference_code in problems[0]


def test_database_refuses_two_open_offers_or_proposals_for_one_household(clinic, kamloops, coordinator):
    provider = accepting_provider(clinic, 4)
    reg = household(1, community=kamloops)
    offer = offer_for(reg, coordinator)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.create(
            proposal=Proposal.objects.create(match_run=offer.proposal.match_run, registration=reg,
                                             provider=provider, places=1, created_at=timezone.now()),
            registration=reg, provider=provider, clinic=clinic, places=1,
            sent_at=timezone.now(), expires_at=timezone.now(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(status="bogus")


def test_capacity_refresh_repairs_injected_drift(clinic, kamloops, coordinator, moa):
    a = accepting_provider(clinic, 5)
    b = accepting_provider(clinic, 3)
    reg = household(2, community=kamloops)
    offer = offer_for(reg, coordinator)
    services.clinic_accept(offer.pk, by=moa)
    services.patient_confirm(offer.pk, by=coordinator)
    held = offer.provider
    other = b if held == a else a
    assert recompute_open_capacity().fixed == []

    # Drift: someone edited open capacity by hand.
    type(a).objects.filter(pk=held.pk).update(open_capacity=40)
    type(a).objects.filter(pk=other.pk).update(open_capacity=0)
    report = recompute_open_capacity()

    declared = {a.pk: 5, b.pk: 3}
    fixed = {f["provider"]: (f["was"], f["now"]) for f in report.fixed}
    assert fixed == {held.pk: (40, declared[held.pk] - 2), other.pk: (0, declared[other.pk])}
    assert open_capacity(held) == declared[held.pk] - 2
    assert "corrected for 2" in report.summary
    assert recompute_open_capacity([held.pk]).fixed == []
