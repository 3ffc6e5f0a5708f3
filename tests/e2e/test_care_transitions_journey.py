"""Browser journeys of hospital transitions and pre-visit planning: a care coordinator records an
admission (the daily call appears on the worklist) and the discharge (the follow-up appears); a
provider records a complexity score and the need for PVP, then reads the PVP summary of a visit.
Each page passes the accessibility check."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from attachment.core import roles
from attachment.core.audit import Actor
from care import pvp, services
from care.models import CareProfile, HospitalStay, Programme
from registries.models import PanelEntry
from tests.e2e.conftest import assert_accessible, login_in_browser
from tests.factories import ClinicFactory, PatientFactory, ProviderFactory, UserFactory, community


def _world():
    kamloops = community("Kamloops")
    coordinator = UserFactory(username="care-coordinator", first_name="Cam", last_name="Carer")
    roles.grant_pcn(coordinator, kamloops.pcn)
    doctor = UserFactory(username="dr-sandhu", first_name="Harpreet", last_name="Sandhu")
    roles.add_role(doctor, roles.PROVIDER)
    provider = ProviderFactory(clinic=ClinicFactory(community=kamloops), first_name="Harpreet", last_name="Sandhu",
                               user=doctor)
    ivy = PatientFactory(first_name="Ivy", last_name="Okafor", date_of_birth=datetime.date(1940, 3, 9))
    PanelEntry.objects.create(patient=ivy, provider=provider, since=datetime.date(2020, 1, 1), source="upload")
    services.enrol(ivy, programme=Programme.objects.get(code="frailty"), reason="Frail, lives alone", need_level=3,
                   actor=Actor(user=coordinator))
    return coordinator, doctor, provider, ivy


@pytest.mark.django_db(transaction=True)
def test_a_care_coordinator_records_an_admission_then_the_discharge(live_server, page):
    coordinator, _, _, ivy = _world()
    today = timezone.localdate()
    login_in_browser(page, live_server, "care-coordinator")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    page.get_by_role("link", name=re.compile("Okafor, Ivy")).click()
    assert_accessible(page)
    page.get_by_role("link", name="Record a hospital admission").click()
    expect(page.get_by_role("heading", name="Record a hospital admission")).to_be_visible()
    assert_accessible(page)

    # A date in the future is refused on its field, nothing saved.
    page.get_by_label("Hospital").fill("Royal Inland Hospital")
    page.get_by_label("Admitted on").fill((today + datetime.timedelta(days=2)).isoformat())
    page.get_by_label("Why").fill("Fall at home, hip fracture")
    page.get_by_role("button", name="Record the admission").click()
    expect(page.locator(".field.has-error")).to_contain_text("cannot be in the future")
    assert not HospitalStay.objects.exists()
    assert_accessible(page)
    page.get_by_label("Admitted on").fill(today.isoformat())
    page.get_by_role("button", name="Record the admission").click()
    expect(page.get_by_role("status")).to_contain_text("Admission to Royal Inland Hospital recorded")
    expect(page.get_by_test_id("stay")).to_contain_text("In hospital")
    assert_accessible(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    call = page.get_by_role("row", name=re.compile("Daily call to the family: day 1 in Royal Inland Hospital"))
    expect(call).to_contain_text("Okafor, Ivy")
    expect(call).to_contain_text("Today")
    assert_accessible(page)

    call.get_by_role("link", name="Okafor, Ivy").click()
    page.get_by_role("link", name="Record the discharge").click()
    assert_accessible(page)
    page.get_by_label("Discharged on").fill((today - datetime.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Record the discharge").click()
    expect(page.locator(".field.has-error")).to_contain_text("cannot be before the admission")
    page.get_by_label("Discharged on").fill(today.isoformat())
    page.get_by_label("The discharge summary has been received").check()
    page.get_by_role("button", name="Record the discharge").click()
    expect(page.get_by_role("status")).to_contain_text("Discharge recorded")
    expect(page.get_by_test_id("stay")).to_contain_text("Discharged, follow-up open")
    assert_accessible(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    page.get_by_label("Due").select_option("7")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("row", name=re.compile("Follow-up call after discharge from Royal Inland Hospital"))
           ).to_contain_text("Okafor, Ivy")
    expect(page.get_by_role("row", name=re.compile("Arrange the follow-up appointment"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Read the discharge summary"))).to_contain_text("(provider)")
    expect(page.get_by_role("row", name=re.compile("Daily call to the family"))).to_have_count(0)
    assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_a_provider_records_a_complexity_score_and_reads_a_pvp_summary(live_server, page):
    coordinator, doctor, provider, ivy = _world()
    login_in_browser(page, live_server, "dr-sandhu")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Care for my panel").click()
    expect(page.get_by_role("heading", name="Care coordination for my panel")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="find the patient").click()
    page.get_by_label("Name or PHN").fill("Okafor")
    page.get_by_label("Name or PHN").press("Enter")
    page.get_by_role("link", name=re.compile("Okafor")).first.click()
    page.get_by_role("link", name="Record diagnoses, deficits and complexity").click()
    assert_accessible(page)
    page.get_by_label("Diagnoses").fill("Heart failure\nType 2 diabetes")
    page.get_by_label("Complexity score").select_option("4")
    page.get_by_label("Visits need pre-visit planning").check()
    page.get_by_role("button", name="Save care profile").click()
    expect(page.get_by_role("status")).to_contain_text("Care profile saved.")
    expect(page.get_by_test_id("risk")).to_contain_text("Visits need pre-visit planning")
    profile = CareProfile.objects.get(patient=ivy)
    assert (profile.complexity_score, profile.needs_pvp, profile.updated_by) == (4, True, doctor)

    # The coordinator plans the coming visit and makes the PVP call.
    visit = pvp.plan_visit(ivy, visit_on=timezone.localdate() + datetime.timedelta(days=6),
                           purpose="Annual review", actor=Actor(user=coordinator))
    pvp.update_item(visit, item="family_concerns", done=True, note="Daughter worried about her breathing at night",
                    actor=Actor(user=coordinator))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Care for my panel").click()
    page.get_by_role("link", name="PVP summary: Ivy Okafor").click()
    summary = page.get_by_test_id("pvp-summary")
    expect(summary).to_contain_text("Daughter worried about her breathing at night")
    expect(summary).to_contain_text("Heart failure")
    expect(summary).to_contain_text("1 of 6")
    assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_a_coordinator_prepares_a_visit_prints_the_plan_and_runs_an_mdt_meeting(live_server, page):
    coordinator, doctor, provider, ivy = _world()
    today = timezone.localdate()
    services.save_care_profile(ivy, needs_pvp=True, complexity_score=3, actor=Actor(user=doctor))
    services.save_plan_version(ivy, services.PlanContent(
        what_matters="Staying at home with my garden", review_date=today + datetime.timedelta(days=60),
        goals=[{"text": "Walk to the shop", "target_date": "", "status": "in_progress"}],
        actions=[{"text": "Call every week", "who": "coordinator", "due": "", "status": "to_do"}], carers=[]),
        actor=Actor(user=coordinator))
    login_in_browser(page, live_server, "care-coordinator")
    page.goto(f"{live_server.url}/care/patients/{ivy.pk}/")
    page.get_by_role("link", name="Plan a visit").click()
    assert_accessible(page)
    page.get_by_label("Visit date").fill((today + datetime.timedelta(days=3)).isoformat())
    page.get_by_label("Purpose of the visit").fill("Annual review")
    page.get_by_role("button", name="Plan the visit").click()
    expect(page.get_by_role("status")).to_contain_text("to plan")
    assert_accessible(page)
    call = page.get_by_role("form", name="PVP call to the patient or parent")
    call.get_by_label("Done").check()
    call.get_by_label("What was found").fill("Spoke with her daughter: more breathless on stairs")
    call.get_by_role("button", name="Save: PVP call to the patient or parent").click()
    expect(page.get_by_role("status")).to_contain_text("Checklist: PVP call to the patient or parent saved.")
    expect(page.get_by_role("listitem").filter(has_text="more breathless on stairs")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}/care/patients/{ivy.pk}/")
    page.get_by_role("link", name="Print the plan for the patient").click()
    expect(page.get_by_role("heading", name="Your care and support plan")).to_be_visible()
    expect(page.get_by_text("Your care coordinator will call every week.")).to_be_visible()
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Back to the care record")).to_be_hidden()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Back to the care record").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="MDT meetings").click()
    assert_accessible(page)
    page.get_by_label("Title").fill("Complex care MDT")
    page.get_by_label("Date and time").fill(f"{(today + datetime.timedelta(days=1)).isoformat()}T10:00")
    page.get_by_label("Where").fill("Boardroom")
    page.get_by_role("button", name="Schedule the meeting").click()
    expect(page.get_by_role("heading", name="Complex care MDT")).to_be_visible()
    assert_accessible(page)
    agenda = page.get_by_role("form", name="Add a patient to the agenda")
    agenda.get_by_label("Patient on the caseload (name or PHN)").fill(ivy.phn)
    agenda.get_by_label("Why they are discussed").fill("Breathless; lives alone")
    agenda.get_by_role("button", name="Add to the agenda").click()
    expect(page.get_by_test_id("agenda-item")).to_contain_text("Okafor, Ivy")
    attendance = page.get_by_role("form", name="Record who came")
    attendance.get_by_label("Who came (one a line: name, role)").fill("Cam Carer, coordinator\nDr. Sandhu")
    attendance.get_by_role("button", name="Record attendance").click()
    expect(page.get_by_role("status")).to_contain_text("Attendance recorded.")
    page.get_by_role("link", name="Okafor, Ivy").click()
    assert_accessible(page)
    page.get_by_role("form", name="Record the outcome").get_by_label("Outcome").fill("Refer to the respiratory clinic")
    page.get_by_role("button", name="Save the outcome").click()
    expect(page.get_by_test_id("outcome")).to_contain_text("Refer to the respiratory clinic")
    action = page.get_by_role("form", name="Add an action")
    action.get_by_label("Action").fill("Send the respiratory referral")
    action.get_by_role("button", name="Add the action").click()
    expect(page.get_by_role("status")).to_contain_text("Action added to the worklist: Send the respiratory referral.")
    assert_accessible(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    page.get_by_label("Due").select_option("7")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("row", name=re.compile("Send the respiratory referral"))).to_contain_text("Okafor, Ivy")
    expect(page.get_by_role("row", name=re.compile("Pre-visit planning for the visit on"))).to_be_visible()
