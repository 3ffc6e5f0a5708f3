"""Browser journey of a care coordinator: enrol a patient from the candidates, write a plan with
a goal, log a call; each page passes the accessibility check."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from attachment.core import roles
from care.models import CarePlanVersion, Contact, Enrolment
from patients.models import Registration
from registries.models import PanelEntry
from tests.e2e.conftest import assert_accessible, login_in_browser
from tests.factories import (
    ClinicFactory,
    PatientFactory,
    ProviderFactory,
    RegistrationFactory,
    UserFactory,
    community,
)


@pytest.mark.django_db(transaction=True)
def test_a_care_coordinator_enrols_a_candidate_writes_a_plan_and_logs_a_call(live_server, page):
    kamloops = community("Kamloops")
    coordinator = UserFactory(username="care-coordinator", first_name="Cam", last_name="Carer")
    roles.grant_pcn(coordinator, kamloops.pcn)
    provider = ProviderFactory(clinic=ClinicFactory(community=kamloops), last_name="Sandhu")
    household = RegistrationFactory(status=Registration.Status.ATTACHED, priority_factors=["complex_care"])
    Registration.objects.filter(pk=household.pk).update(status_changed_at=timezone.now() - datetime.timedelta(days=12))
    rosa = PatientFactory(registration=household, first_name="Rosa", last_name="Delgado",
                          date_of_birth=datetime.date(1946, 4, 4), is_primary_contact=True)
    PanelEntry.objects.create(patient=rosa, provider=provider, since=timezone.localdate(), source="attach")

    login_in_browser(page, live_server, "care-coordinator")
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Candidates").click()
    row = page.get_by_role("row", name=re.compile("Delgado, Rosa"))
    expect(row).to_contain_text("Registration reported: several health conditions (complex care)")
    expect(row).to_contain_text("Aged ")
    assert_accessible(page)
    row.get_by_role("link", name="Enrol Rosa Delgado").click()

    expect(page.get_by_role("heading", name="Enrol in a programme")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Programme").select_option(label="Frailty")
    page.get_by_label("Need level").select_option("3")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("status")).to_contain_text("Enrolled in Frailty.")
    expect(page.get_by_test_id("enrolment")).to_contain_text("Need level 3")
    assert_accessible(page)
    enrolment = Enrolment.objects.get(patient=rosa)
    assert "complex care" in enrolment.reason and enrolment.enrolled_by == coordinator

    page.get_by_role("link", name="Write a care plan").click()
    assert_accessible(page)
    review = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
    target = (timezone.localdate() + datetime.timedelta(days=45)).isoformat()
    page.get_by_label("What matters to the person").fill("Staying at home with her cat; seeing her grandchildren")
    page.get_by_label("Review date").fill(review)
    goal = page.get_by_role("group", name="Goal 1")
    goal.get_by_label(re.compile(r"^Goal ")).fill("Walk to the corner shop without a fall")
    goal.get_by_label("Target date").fill(target)
    goal.get_by_label("Status").select_option("in_progress")
    carer = page.get_by_role("group", name="Carer 1")
    carer.get_by_label("Carer's name").fill("Marta Delgado")
    carer.get_by_label("Relationship").fill("Daughter")
    carer.get_by_label("Phone").fill("250-555-0177")
    page.get_by_role("button", name="Save the plan").click()
    expect(page.get_by_role("status")).to_contain_text("Care plan saved as version 1.")
    expect(page.get_by_test_id("plan")).to_contain_text(f"Walk to the corner shop without a fall, by {target} (In progress)")
    version = CarePlanVersion.objects.get(plan__patient=rosa)
    assert version.goals[0]["status"] == "in_progress" and version.carers[0]["name"] == "Marta Delgado"

    page.get_by_role("link", name="Log a contact").click()
    assert_accessible(page)
    form = page.locator("#contact-form")
    form.get_by_label("How").select_option("phone")
    form.get_by_label("Who was contacted").select_option("carer")
    form.get_by_label("Minutes spent").fill("25")
    form.get_by_label("Outcome").select_option("reached")
    form.get_by_label("Activity category").select_option("care_planning")
    form.get_by_label("Note").fill("Went through the plan with Marta; she will come to the next visit")
    form.get_by_role("button", name="Log contact").click()
    expect(page.get_by_role("status")).to_contain_text("Contact logged.")
    expect(page.get_by_role("cell", name="Went through the plan with Marta; she will come to the next visit")).to_be_visible()
    contact = Contact.objects.get(patient=rosa)
    assert (contact.minutes, contact.contacted, contact.by) == (25, "carer", coordinator)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    page.get_by_label("Due").select_option("7")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("row", name=re.compile("First call after enrolment in Frailty"))).to_contain_text("Delgado, Rosa")
    assert_accessible(page)



def test_the_accessibility_check_finds_what_it_looks_for(page):
    page.set_content('<html><body><h1>A</h1><h1>B</h1><input name="q" id="q"><a href="/x"></a>'
                     '<table><thead><tr><th>Col</th></tr></thead></table><img src="x.png"><p id="q"></p></body></html>')
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page)
    for problem in ("html has no lang", "2 h1 elements", "unlabelled input name=q", "th without scope: Col",
                    "img without alt", "nameless <a", "id q used 2 times"):
        assert problem in str(failed.value), problem
