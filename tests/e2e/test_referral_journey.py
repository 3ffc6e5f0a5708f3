"""Browser journeys: a care coordinator makes a referral and moves it to report received
(a contradicting date refused on its field on the way); a division manager opens the care
activity report. Each page passes the accessibility check."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from attachment.core import roles
from care.models import Contact, Referral
from registries.models import PanelEntry
from tests.e2e.conftest import assert_accessible, login_in_browser
from tests.factories import ClinicFactory, PatientFactory, ProviderFactory, UserFactory, community


@pytest.mark.django_db(transaction=True)
def test_a_care_coordinator_makes_a_referral_and_moves_it_to_report_received(live_server, page):
    kamloops = community("Kamloops")
    coordinator = UserFactory(username="care-coordinator", first_name="Cam", last_name="Carer")
    roles.grant_pcn(coordinator, kamloops.pcn)
    provider = ProviderFactory(clinic=ClinicFactory(community=kamloops), last_name="Sandhu")
    edith = PatientFactory(first_name="Edith", last_name="Marchetti", date_of_birth=datetime.date(1938, 2, 11))
    PanelEntry.objects.create(patient=edith, provider=provider, since=datetime.date(2020, 1, 1), source="upload")
    today = timezone.localdate()

    login_in_browser(page, live_server, "care-coordinator")
    page.goto(f"{live_server.url}/care/patients/{edith.pk}/")
    expect(page.get_by_role("heading", name="Referrals")).to_be_visible()
    page.get_by_role("link", name="Make a referral").click()
    expect(page.get_by_role("heading", name="Make a referral")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Kind of referral").select_option(label="Geriatric medicine assessment")
    page.get_by_label("Referred to").fill("Dr. Amani, geriatric medicine, Royal Inland")
    page.get_by_label("Reason for the referral").fill("Two falls this winter, memory concerns")
    page.get_by_label("Sent on").fill((today - datetime.timedelta(days=20)).isoformat())
    page.get_by_label("Records sent with the referral").check()
    page.get_by_role("button", name="Record the referral").click()
    expect(page.get_by_role("status")).to_contain_text("Referral to Dr. Amani, geriatric medicine, Royal Inland recorded.")
    expect(page.get_by_test_id("referral-step")).to_contain_text("Requested")
    assert_accessible(page)
    referral = Referral.objects.get(patient=edith)
    assert referral.records_sent and referral.referred_by == coordinator

    def step(to, on, appointment=None):
        page.get_by_label("Next step").select_option(label=to)
        page.get_by_label("Date of this step").fill(on.isoformat())
        if appointment:
            page.get_by_label("Appointment date").fill(appointment.isoformat())
        page.get_by_role("button", name="Record this step").click()

    # Accepted before it was sent: refused, on the date, nothing saved.
    step("Accepted", today - datetime.timedelta(days=25))
    expect(page.locator("#id_on_error")).to_contain_text("before the referral was sent")
    assert_accessible(page)
    referral.refresh_from_db()
    assert referral.step == "requested"

    step("Accepted", today - datetime.timedelta(days=15))
    expect(page.get_by_test_id("referral-step")).to_contain_text("Accepted")
    step("Appointment booked", today - datetime.timedelta(days=14), appointment=today - datetime.timedelta(days=5))
    expect(page.get_by_test_id("referral-step")).to_contain_text("Appointment booked")
    step("Seen", today - datetime.timedelta(days=5))
    step("Report received", today)
    expect(page.get_by_test_id("referral-step")).to_contain_text("Report received")
    assert_accessible(page)
    referral.refresh_from_db()
    assert (referral.step, referral.report_on, referral.appointment_on) == (
        "report_received", today, today - datetime.timedelta(days=5))

    page.get_by_role("link", name="Back to the care record").click()
    row = page.get_by_test_id("referral")
    expect(row).to_contain_text("Report received")
    expect(row).to_contain_text("Dr. Amani")
    assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_a_division_manager_opens_the_care_activity_report(live_server, page):
    kamloops = community("Kamloops")
    manager = UserFactory(username="manager", first_name="Morgan", last_name="Manager")
    roles.grant_division(manager, kamloops.division, manager=True)
    provider = ProviderFactory(clinic=ClinicFactory(community=kamloops), last_name="Sandhu")
    year = timezone.localdate().year
    patients = []
    for n in range(14):
        p = PatientFactory(first_name=f"P{n}", last_name="Lee")
        PanelEntry.objects.create(patient=p, provider=provider, since=datetime.date(2020, 1, 1), source="upload")
        patients.append(p)
    Contact.objects.bulk_create([
        Contact(patient=patients[n % 14], pcn=kamloops.pcn, contacted_on=datetime.date(year, 1 + n % 3, 10),
                channel="phone", contacted="patient", minutes=15, outcome="reached", category="navigation")
        for n in range(40)])

    login_in_browser(page, live_server, "manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Care activity").click()
    expect(page.get_by_role("heading", name=re.compile(f"Care coordination activity: .*{year}"))).to_be_visible()
    months = page.get_by_role("region", name=f"By month, {year}")
    expect(months.get_by_role("row", name=re.compile("^January"))).to_be_visible()
    expect(page.get_by_role("region", name="Contacts by channel").get_by_role("row", name=re.compile("^Phone call"))
           ).to_contain_text("40")
    expect(page.locator("canvas#chart-activity-months")).to_be_visible()
    expect(page.get_by_text("is a count from 1 to 9")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == f"care-activity-{year}.csv"
