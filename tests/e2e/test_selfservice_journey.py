"""Browser journeys of the public side: a household updates its registration itself (proved by
a one-time code), sees who looked at its record and leaves the waitlist; anyone reads the
open monthly figures."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from attachment.celery import app as celery_app
from attachment.core import audit
from reports import figures
from tests.e2e.conftest import assert_accessible, fill_date
from tests.factories import UserFactory, community, household, next_phn


@pytest.fixture
def eager_tasks():
    celery_app.conf.task_always_eager = True  # the code is sent by a task: here, in the server's thread
    yield
    celery_app.conf.task_always_eager = False


@pytest.mark.django_db(transaction=True)
def test_a_household_updates_its_registration_and_sees_who_looked(live_server, page, settings, eager_tasks):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0
    from attachment.core import roles

    registration = household(1, community=community("Kamloops"))
    coordinator = UserFactory(username="mreyes", first_name="Marisol", last_name="Reyes")
    roles.grant_division(coordinator, registration.division, coordinator=True)
    audit.record(action="view", obj=registration, actor=audit.Actor(user=coordinator), summary="Registration page")

    page.goto(f"{live_server.url}/self/")
    expect(page.get_by_role("heading", name="Update your registration")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Reference code").fill(registration.reference_code.lower())
    fill_date(page, "#id_date_of_birth", datetime.date(1980, 5, 17))
    page.get_by_role("button", name="Send me a code").click()

    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code").fill("000000" if "000000" not in mail.outbox[-1].body else "111111")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("not right, or it has expired")
    code = re.findall(r"\b(\d{6})\b", mail.outbox[-1].body)[-1]
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name=re.compile("Your registration"))).to_be_visible()
    log = page.locator("#access-log")
    expect(log).to_contain_text("Attachment coordinator")
    expect(log).to_contain_text(registration.division.name)
    expect(page.locator("main")).not_to_contain_text("Reyes")
    assert_accessible(page)

    page.get_by_role("link", name="Change your answers").click()
    assert_accessible(page)
    page.get_by_label("Pregnant").check()
    page.get_by_role("button", name="Save answers").click()
    expect(page.get_by_role("status")).to_contain_text("Your answers are updated")
    expect(page.locator("#self-needs")).to_contain_text("Pregnant")
    registration.refresh_from_db()
    assert registration.priority == 4

    page.get_by_role("link", name=re.compile("Add someone")).click()
    assert_accessible(page)
    page.get_by_label("First name").fill("Noor")
    page.get_by_label("Last name").fill("Lopez")
    fill_date(page, "#id_date_of_birth", timezone.localdate() - datetime.timedelta(days=9))
    page.get_by_label("Personal Health Number (PHN)").fill(next_phn())
    page.get_by_role("button", name="Add this person").click()
    expect(page.locator("#self-members")).to_contain_text("Noor Lopez")
    registration.refresh_from_db()
    assert registration.household_size == 2 and "infant" in registration.priority_factors

    page.get_by_role("link", name="Leave the waitlist").click()
    assert_accessible(page)
    page.get_by_label("I found a family doctor or nurse practitioner").check()
    page.get_by_role("button", name="Leave the waitlist").click()
    expect(page.locator("#self-status")).to_contain_text("no longer on the waitlist")
    registration.refresh_from_db()
    assert registration.status == "withdrawn"
    page.get_by_role("button", name="Finish and leave this page").click()
    page.goto(f"{live_server.url}/self/household/")
    expect(page.locator("main")).not_to_contain_text(registration.reference_code)


@pytest.mark.django_db(transaction=True)
def test_anyone_reads_the_open_figures(live_server, page):
    for _ in range(12):
        household(1, community=community("Kamloops"))
    figures.build(figures.last_complete_month(timezone.localdate() + datetime.timedelta(days=31)))

    page.goto(f"{live_server.url}/figures/")
    expect(page.get_by_role("heading", name="Waitlist figures, month by month")).to_be_visible()
    expect(page.locator("#figures-about")).to_contain_text("built")
    expect(page.locator("#figures-months")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Area", exact=True).select_option(label="Community: Kamloops")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Community: Kamloops")).to_be_visible()
    expect(page.locator("#figures-months tbody tr").last.locator("td").first).to_have_text("12")  # people waiting
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download all figures (CSV)").click()
    assert download.value.suggested_filename.startswith("attach-open-figures-")
