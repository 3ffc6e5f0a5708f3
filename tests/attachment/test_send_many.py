"""Sending many offers: select the page or the whole run, confirm the count once."""

import pytest
from django.urls import reverse

from attachment.workflow.models import Offer, Proposal
from attachment.workflow.views import PAGE_SIZE
from tests.attachment.conftest import accepting_provider, run
from tests.conftest import login
from tests.factories import household

pytestmark = pytest.mark.django_db


def test_select_the_page_then_confirm_the_count_once(client, clinic, kamloops, coordinator):
    accepting_provider(clinic, 3)
    regs = [household(1, community=kamloops) for _ in range(3)]
    match_run = run()
    login(client, coordinator)
    url = reverse("workflow:proposals") + f"?run={match_run.pk}"
    page = client.get(url).content.decode()
    assert 'data-select-all="proposal"' in page and "Select all 3 on this page" in page
    assert f"Select every proposal of run {match_run.pk}: all 3, on every page" in page
    for reg in regs:  # each proposal links to its household's registration
        assert reverse("patients:registration", args=[reg.pk]) in page

    ids = list(Proposal.objects.values_list("pk", flat=True))
    confirm = client.post(reverse("workflow:confirm_send"),
                          {"select": "page", "on_page": ids, "next": url})
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "Send 3 offers?" in body and "every proposal on the page" in body
    assert not Offer.objects.exists()  # the confirmation step sends nothing

    done = client.post(reverse("workflow:send_offers"), {"ids": ",".join(map(str, ids)), "next": url})
    assert done.status_code == 302 and done.url == url
    assert Offer.objects.filter(status="sent").count() == 3


def test_select_every_proposal_of_the_run_across_pages(client, clinic, kamloops, coordinator):
    accepting_provider(clinic, PAGE_SIZE + 2)
    for _ in range(PAGE_SIZE + 2):
        household(1, community=kamloops)
    match_run = run()
    household(1, community=kamloops)
    other_run = run(supersede=False)  # nothing left to propose, so nobody else joins the run
    assert other_run.figures["proposed"] == 0
    login(client, coordinator)
    page = client.get(reverse("workflow:proposals") + f"?run={match_run.pk}").content.decode()
    assert f"all {PAGE_SIZE + 2}, on every page" in page
    confirm = client.post(reverse("workflow:confirm_send"), {"select": "all", "run": match_run.pk})
    body = confirm.content.decode()
    assert f"Send {PAGE_SIZE + 2} offers?" in body and f"every open proposal of run {match_run.pk}" in body
    ids = body.split('name="ids" value="')[1].split('"')[0].split(",")
    assert len(ids) == PAGE_SIZE + 2
    client.post(reverse("workflow:send_offers"), {"ids": ",".join(ids)})
    assert Offer.objects.count() == PAGE_SIZE + 2


def test_a_rows_own_button_sends_that_row_only(client, clinic, kamloops, coordinator):
    accepting_provider(clinic, 2)
    household(1, community=kamloops)
    household(1, community=kamloops)
    run()
    first, second = Proposal.objects.order_by("pk")
    login(client, coordinator)
    client.post(reverse("workflow:send_offers"), {"single": first.pk, "proposal": [first.pk, second.pk]})
    assert list(Offer.objects.values_list("proposal_id", flat=True)) == [first.pk]


def test_another_divisions_coordinator_can_confirm_nothing(client, clinic, kamloops, other_coordinator):
    accepting_provider(clinic, 1)
    household(1, community=kamloops)
    match_run = run()
    login(client, other_coordinator)
    response = client.post(reverse("workflow:confirm_send"), {"select": "all", "run": match_run.pk})
    assert response.status_code == 302
    ids = list(Proposal.objects.values_list("pk", flat=True))
    response = client.post(reverse("workflow:confirm_send"), {"proposal": ids}, follow=True)
    assert "Choose at least one proposal to send." in response.content.decode()
    client.post(reverse("workflow:send_offers"), {"ids": ",".join(map(str, ids))})
    assert not Offer.objects.exists()
