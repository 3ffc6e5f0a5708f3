"""Browser journeys of the Health Connect Registry: the public, then a coordinator."""

import re

import pytest
from playwright.sync_api import expect

from patients.models import ContactNote, Registration
from tests.e2e.conftest import login_in_browser
from tests.factories import PatientFactory, RegistrationFactory, next_phn


@pytest.mark.django_db(transaction=True)
def test_a_member_of_the_public_registers_a_household_of_two_and_checks_the_status(live_server, page):
    page.goto(f"{live_server.url}/register/")
    expect(page.get_by_role("heading", name="Register for a family doctor or nurse practitioner")).to_be_visible()

    # A first try without contact details is refused with a summary that names the field.
    page.get_by_label("First name").fill("Priya")
    page.get_by_label("Last name").fill("Dhillon")
    page.get_by_label("Date of birth").fill("1986-04-12")
    page.get_by_label("Personal Health Number (PHN)").fill(next_phn())
    page.get_by_role("button", name="Add another person").click()
    person2 = page.locator("#member-2")
    person2.get_by_label("First name").fill("Arjun")
    person2.get_by_label("Last name").fill("Dhillon")
    person2.get_by_label("Date of birth").fill("2015-09-30")
    person2.get_by_label("Personal Health Number (PHN)").fill(next_phn())
    expect(page.locator("#member-1").get_by_label("First name")).to_have_value("Priya")

    page.get_by_label("Street address").fill("455 Tranquille Road")
    page.get_by_label("Postal code").fill("V2B 3G8")
    page.get_by_label("Community you live in").select_option(label="Kamloops")
    page.get_by_label("Punjabi").check()
    page.get_by_label("English").check()
    page.get_by_label("A chronic condition that needs regular care").check()
    page.get_by_label(re.compile("I agree that the information")).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("Give a phone number or an email address")

    page.get_by_label("Phone number").fill("250-555-0163")
    page.get_by_label(re.compile("I agree that the information")).check()
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="You are on the waitlist")).to_be_visible()
    code = page.locator("#reference-code").inner_text().strip()
    registration = Registration.objects.get(reference_code=code)
    assert registration.household_size == 2 and registration.priority == 2
    assert set(registration.members.values_list("first_name", flat=True)) == {"Priya", "Arjun"}

    page.get_by_role("link", name="Check your status").click()
    page.get_by_label("Reference code").fill(code.lower())
    page.get_by_label("Date of birth of anyone in your household").fill("2015-09-30")
    page.get_by_role("button", name="Check status").click()
    expect(page.locator("#status-answer")).to_contain_text("You are on the waitlist.")
    expect(page.locator("#status-answer")).to_contain_text("Registered less than a day ago")
    expect(page.locator("body")).not_to_contain_text("Dhillon")


@pytest.mark.django_db(transaction=True)
def test_a_coordinator_finds_a_registration_and_adds_a_contact_note(live_server, page, coordinator):
    registration = RegistrationFactory(phone="250-555-0188")
    PatientFactory(registration=registration, first_name="Wendell", last_name="Thistlewood", is_primary_contact=True)
    RegistrationFactory.create_batch(3)

    login_in_browser(page, live_server, "coordinator")
    expect(page.get_by_role("heading", name="Waitlist")).to_be_visible()
    page.get_by_role("textbox", name="Search").fill("thistlewood")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Thistlewood, Wendell")
    page.get_by_role("link", name=registration.reference_code).click()

    expect(page.get_by_role("heading", name=re.compile("Registration"))).to_contain_text(registration.reference_code)
    form = page.locator("#contact-note-form")
    form.get_by_label("How").select_option("call")
    form.get_by_label("Outcome").select_option("left_message")
    form.get_by_label("Note").fill("Voicemail: asked them to call 8-1-1 with their code")
    form.get_by_role("button", name="Add contact note").click()

    expect(page.get_by_role("status")).to_contain_text("Contact note added.")
    expect(page.get_by_role("cell", name="Voicemail: asked them to call 8-1-1 with their code")).to_be_visible()
    note = ContactNote.objects.get(registration=registration)
    assert note.kind == "call" and note.outcome == "left_message" and note.by.username == "coordinator"
