"""Browser journeys of the Health Connect Registry: a coordinator (the public's are in test_public_journeys.py)."""

import re

import pytest
from playwright.sync_api import expect

from patients.models import ContactNote
from tests.e2e.conftest import login_in_browser
from tests.factories import PatientFactory, RegistrationFactory

# The public's journeys (registering a household of two, errors, checking the answers, the
# status look-up, in each language and with the keyboard alone) are in test_public_journeys.py.


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
