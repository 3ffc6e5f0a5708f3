"""A new run returns older runs' unsent proposals, and says why each household left out was."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from attachment.core.models import AuditEvent
from attachment.matching import ProviderSlot, RegistrationItem
from attachment.matching.unplaced import explain_unplaced
from attachment.workflow import services
from attachment.workflow.capacity_refresh import expected_open_capacity
from attachment.workflow.models import DeclinedPair, Proposal, UnplacedRegistration
from providers.capacity import declare_capacity
from tests.attachment.conftest import accepting_provider, run
from tests.conftest import login
from tests.factories import ClinicFactory, ProviderFactory, community, household

pytestmark = pytest.mark.django_db


def reason_of(match_run, registration):
    return UnplacedRegistration.objects.get(match_run=match_run, registration=registration).reason


def assert_no_drift(*providers):
    for pid, (stored, should) in expected_open_capacity([p.pk for p in providers]).items():
        assert stored == should, f"provider {pid}: stored {stored}, history says {should}"


def test_a_new_urgent_household_gets_the_place_an_unsent_older_proposal_held(clinic, kamloops, coordinator, client):
    """The reported scenario: places proposed by an earlier run and never sent kept a new
    priority-7 household out ("0 proposed; 11 of 11 could not be placed")."""
    provider = accepting_provider(clinic, 3)
    earlier = [household(1, community=kamloops, priority=1,
                         registered_at=timezone.now() - datetime.timedelta(days=200 + i)) for i in range(3)]
    first = run(coordinator, division=kamloops.division_id)
    assert first.figures["proposed"] == 3
    sent = Proposal.objects.get(registration=earlier[0])
    services.send_offer(sent.pk, by=coordinator)  # an offer already sent is kept

    urgent = household(1, community=kamloops, priority=7, registered_at=timezone.now() - datetime.timedelta(days=1))
    second = run(coordinator, community=kamloops.pk, supersede=True)

    assert second.figures["superseded"] == 2
    assert Proposal.objects.get(registration=urgent, status="proposed").match_run == second
    old = Proposal.objects.filter(match_run=first).exclude(pk=sent.pk)
    assert {p.status for p in old} == {"superseded"}
    assert all(f"run {second.pk}" in p.skip_reason for p in old)
    sent.refresh_from_db()
    assert sent.status == "offered"
    # 3 places: one held by the sent offer, one now the urgent household's, one for the
    # longer-waiting of the two earlier households; the other is told why not.
    left_out = earlier[1] if Proposal.objects.filter(registration=earlier[2], status="proposed").exists() else earlier[2]
    assert not Proposal.objects.filter(registration=left_out, status="proposed").exists()
    assert reason_of(second, left_out) == (
        "The places in Kamloops that fit 1 person went to households ahead in turn (higher priority or waiting longer)"
    )
    assert_no_drift(provider)
    event = AuditEvent.objects.get(object_type="attachment.MatchRun", object_id=str(second.pk), action="update")
    assert event.changes["superseded"] == 2 and event.changes["runs"] == [first.pk]

    login(client, coordinator)
    page = client.get(reverse("workflow:run", args=[second.pk])).content.decode()
    assert "2 unsent proposals of earlier runs in this area were returned" in page
    assert left_out.reference_code in page and "went to households ahead in turn" in page
    assert reverse("patients:registration", args=[left_out.pk]) in page
    assert AuditEvent.objects.filter(action="view", object_type="attachment.UnplacedRegistration").exists()
    runs_page = client.get(reverse("workflow:runs")).content.decode()
    assert "Proposals of earlier runs that were not sent are returned first" in runs_page


def test_the_run_form_returns_unsent_proposals_unless_told_not_to(client, coordinator, kamloops,
                                                                  django_capture_on_commit_callbacks):
    from attachment.workflow.models import MatchRun

    login(client, coordinator)
    page = client.get(reverse("workflow:runs")).content.decode()
    assert 'name="supersede"' in page and "checked" in page.split('name="supersede"')[1].split(">")[0]
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("workflow:runs"), {"division": kamloops.division_id, "supersede": "on"})
        client.post(reverse("workflow:runs"), {"division": kamloops.division_id})
    asked, kept = MatchRun.objects.order_by("pk")
    assert asked.parameters.get("supersede") is True and "supersede" not in kept.parameters


def test_a_run_elsewhere_leaves_other_areas_proposals_alone(clinic, kamloops, coordinator):
    accepting_provider(clinic, 2)
    reg = household(1, community=kamloops)
    run(coordinator, community=kamloops.pk)
    merritt = community("Merritt")
    run(coordinator, community=merritt.pk, supersede=True)
    assert Proposal.objects.get(registration=reg).status == "proposed"


def test_supersede_gives_back_no_more_than_the_newest_declaration(clinic, kamloops, coordinator):
    provider = accepting_provider(clinic, 2)
    household(2, community=kamloops)
    run(coordinator, community=kamloops.pk)
    declare_capacity(provider, accepting=True, new_patients=1)  # the places were charged to the old one
    second = run(coordinator, community=kamloops.pk, supersede=True)
    assert second.figures["superseded"] == 1
    provider.refresh_from_db()
    assert provider.open_capacity == 1
    assert_no_drift(provider)


def test_every_kind_of_unplaced_has_its_reason_in_words(coordinator, kamloops):
    chase = community("Chase")
    small = ProviderFactory(clinic=ClinicFactory(community=chase), first_name="Ann", last_name="Lee")
    declare_capacity(small, accepting=True, new_patients=2)
    too_big = household(3, community=chase)

    merritt = community("Merritt")
    no_maternity = ProviderFactory(clinic=ClinicFactory(community=merritt), declines_needs=["maternity"])
    declare_capacity(no_maternity, accepting=True, new_patients=5)
    expecting = household(1, community=merritt, needs=["maternity"])

    hope = community("Hope")
    declined = ProviderFactory(clinic=ClinicFactory(community=hope), first_name="Bo", last_name="Tan")
    declare_capacity(declined, accepting=True, new_patients=5)
    barred = household(1, community=hope)
    DeclinedPair.objects.create(registration=barred, provider=declined, by="clinic", reason="Too far")

    logan = community("Logan Lake")
    nobody = household(1, community=logan)

    match_run = run(coordinator)

    assert reason_of(match_run, too_big) == "No provider in Chase has room for 3 people (the most any has is 2 places)"
    assert reason_of(match_run, expecting) == (
        "The provider in Merritt with room does not take maternity / pregnancy care")
    assert reason_of(match_run, barred) == (
        "Declined this provider before (Dr. Bo Tan), the only one in Hope with room for 1 person")
    assert reason_of(match_run, nobody) == "No provider in Logan Lake is taking new patients now"
    assert match_run.figures["unmatched"] == UnplacedRegistration.objects.filter(match_run=match_run).count() == 4


def test_a_later_run_replaces_the_reasons_and_a_placed_household_loses_its_own(clinic, kamloops, coordinator):
    reg = household(2, community=kamloops)
    first = run(coordinator, community=kamloops.pk)
    assert reason_of(first, reg).startswith("No provider in Kamloops is taking")
    accepting_provider(clinic, 2)
    run(coordinator, community=kamloops.pk)
    assert not UnplacedRegistration.objects.filter(registration=reg).exists()


def test_the_run_page_lists_the_unplaced_a_page_at_a_time(coordinator, kamloops, client):
    from attachment.workflow.views import PAGE_SIZE

    regs = [household(1, community=kamloops) for _ in range(PAGE_SIZE + 3)]
    match_run = run(coordinator, community=kamloops.pk)
    login(client, coordinator)
    first = client.get(reverse("workflow:run", args=[match_run.pk])).content.decode()
    second = client.get(reverse("workflow:run", args=[match_run.pk]) + "?page=2").content.decode()
    shown = [sum(r.reference_code in page for r in regs) for page in (first, second)]
    assert shown == [PAGE_SIZE, 3]
    assert f"Page 1 of 2 ({PAGE_SIZE + 3} in all)" in first
    assert "No provider in Kamloops is taking new patients now" in first


def test_a_coordinator_sees_only_their_divisions_unplaced(coordinator, other_coordinator, kamloops, client):
    reg = household(1, community=kamloops)
    match_run = run(coordinator)  # region-wide, readable by both
    login(client, other_coordinator)
    page = client.get(reverse("workflow:run", args=[match_run.pk]))
    assert page.status_code == 200 and reg.reference_code not in page.content.decode()


# --- the pure part --------------------------------------------------------------------------

def slot(pid, capacity, *, where="C", declines=()):
    return ProviderSlot(id=pid, communities=[where], capacity=capacity, declines_needs=declines)


def item(rid, size=1, *, where="C", needs=(), declined=()):
    return RegistrationItem(id=rid, community=where, size=size, priority=0, waiting_days=1,
                            needs=needs, declined=declined)


def test_explain_unplaced_combines_needs_and_declined_and_names_places():
    providers = [slot("1", 4, declines=("maternity",)), slot("2", 4), slot("3", 0)]
    reasons = explain_unplaced(
        providers,
        [item("a", needs=("maternity",), declined=("2",)), item("b", 5), item("c", declined=("1", "2"))],
        community_names={"C": "Chase"}, need_names={"maternity": "Maternity care"},
        provider_name=lambda pid: f"P{pid}",
    )
    assert reasons == {
        "a": "The providers in Chase with room do not take maternity care, or were declined before (P2)",
        "b": "No provider in Chase has room for 5 people (the most any has is 4 places)",
        "c": "Declined these providers before (P1, P2), the only ones in Chase with room for 1 person",
    }
