"""Browser journey of an attachment, end to end, with the matching run on a real Celery worker.

Coordinator runs matching, sends one offer from its row and the rest by "select all on
this page" and one confirmation of the count; the MOA sees how many offers wait, accepts
(after a confirmation step); the coordinator records
the household's yes; the public status lookup then says attached and the provider's
panel shows the household.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from providers.capacity import declare_capacity
from tests.e2e.conftest import login_in_browser
from tests.factories import PatientFactory, RegistrationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery]


def test_coordinator_runs_matching_moa_accepts_household_is_attached(
    celery_worker_real, live_server, browser, coordinator, moa, provider, kamloops
):
    declare_capacity(provider, accepting=True, new_patients=3)
    registration = RegistrationFactory(community=kamloops, household_size=2, languages=["pa"], priority=2)
    born = datetime.date(1984, 3, 9)
    members = [
        PatientFactory(registration=registration, is_primary_contact=True, date_of_birth=born, last_name="Dhaliwal"),
        PatientFactory(registration=registration, date_of_birth=datetime.date(2015, 6, 1), last_name="Dhaliwal-Grewal"),
    ]
    code = registration.reference_code
    neighbour = RegistrationFactory(community=kamloops, household_size=1, priority=1)
    PatientFactory(registration=neighbour, is_primary_contact=True)

    # Coordinator: run matching for Kamloops and watch it finish.
    coordinator_page = browser.new_context().new_page()
    login_in_browser(coordinator_page, live_server, coordinator.username)
    coordinator_page.get_by_role("link", name="Matching", exact=True).click()
    coordinator_page.get_by_label("Community").select_option(label="Kamloops")
    coordinator_page.get_by_role("button", name="Start matching").click()
    expect(coordinator_page.get_by_role("heading", name=re.compile(r"Matching run \d+"))).to_be_visible()
    review = coordinator_page.get_by_role("link", name="Review the proposals")
    expect(review).to_be_visible(timeout=60_000)  # htmx polls the run until the worker is done
    review.click()

    row = coordinator_page.locator("tr", has_text=code)
    expect(row).to_contain_text("Speaks Punjabi")
    expect(row.get_by_role("link", name=code)).to_have_attribute("href", f"/waitlist/{registration.pk}/")
    row.get_by_role("button", name="Send offer").click()
    expect(coordinator_page.locator(".messages")).to_contain_text("1 offer sent")

    # The rest: select all on the page (the script ticks each row), confirm the count once.
    coordinator_page.get_by_label(re.compile(r"Select all \d+ on this page")).check()
    expect(coordinator_page.get_by_label(f"Select proposal for {neighbour.reference_code}")).to_be_checked()
    coordinator_page.get_by_role("button", name="Send selected as offers").click()
    expect(coordinator_page.get_by_role("heading", name="Send 1 offer?")).to_be_visible()
    coordinator_page.get_by_role("button", name="Send 1 offer").click()
    expect(coordinator_page.locator(".messages")).to_contain_text("1 offer sent")

    # MOA: the offer is in the inbox; accept it.
    moa_page = browser.new_context().new_page()
    login_in_browser(moa_page, live_server, moa.username)
    moa_page.goto(f"{live_server.url}/clinic/")
    expect(moa_page.locator("#offers-waiting")).to_contain_text("2 offers wait for your answer")
    moa_page.get_by_role("link", name="Offers inbox", exact=True).click()
    moa_page.get_by_role("link", name=code).click()
    expect(moa_page.locator("#household-title")).to_contain_text(code)
    expect(moa_page.get_by_text("Dhaliwal-Grewal")).to_be_visible()
    moa_page.get_by_role("button", name="Accept this household").click()
    expect(moa_page.get_by_role("heading", name="Accept this household?")).to_be_visible()
    moa_page.get_by_role("button", name="Yes, accept this household").click()
    expect(moa_page.locator("#offer-status")).to_contain_text("Clinic accepted")
    expect(moa_page.get_by_role("button", name="Decline")).to_have_count(0)

    # Coordinator: phone the message through, record the household's yes.
    coordinator_page.get_by_role("navigation", name="Main").get_by_role("link", name="Offers", exact=True).click()
    coordinator_page.get_by_role("link", name=code).click()
    expect(coordinator_page.locator("#patient-message")).to_contain_text(code)
    coordinator_page.get_by_label("Yes, the household accepts this provider").check()
    coordinator_page.get_by_role("button", name="Record answer").click()
    expect(coordinator_page.locator("#offer-status")).to_contain_text("attached")

    # The public status lookup says attached.
    public = browser.new_context().new_page()
    public.goto(f"{live_server.url}/status/")
    public.get_by_label("Reference code").fill(code)
    public.fill("#id_date_of_birth", str(born.day))  # the day box; month and year follow
    public.fill("#id_date_of_birth_month", str(born.month))
    public.fill("#id_date_of_birth_year", str(born.year))
    public.get_by_role("button", name="Check status").click()
    expect(public.locator("#status-answer")).to_contain_text(re.compile("attached", re.I))

    # The provider's panel shows the household.
    moa_page.goto(f"{live_server.url}/panels/provider/{provider.pk}/")
    for member in members:
        expect(moa_page.get_by_text(member.phn)).to_be_visible()
