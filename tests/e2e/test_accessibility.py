"""axe-core on the pages it found problems on, at a desktop and a phone width; and the
household card showing a whole PHN at 1440 px."""

import datetime

import pytest
from django.utils import timezone

from attachment.core import roles
from registries.models import PanelEntry
from reports import services as reports
from tests.e2e.conftest import axe_violations, login_in_browser
from tests.factories import PatientFactory, RegistrationFactory, UserFactory, household

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [(1440, 900), (390, 844)]


def check(page, url):
    problems = {}
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(url)
        page.wait_for_load_state()
        found = axe_violations(page)
        if found:
            problems[width] = found
    return problems


def test_coordinator_registration_page(live_server, page, coordinator):
    registration = household(3)
    login_in_browser(page, live_server, coordinator.username)
    assert check(page, f"{live_server.url}/waitlist/{registration.pk}/") == {}
    assert check(page, f"{live_server.url}/waitlist/") == {}


def test_household_card_shows_the_whole_phn_at_1440(live_server, page, coordinator):
    registration = RegistrationFactory(household_size=2)
    PatientFactory(registration=registration, first_name="Maximiliana", last_name="Okonkwo-Hale-Whitfield",
                   is_primary_contact=True)
    PatientFactory(registration=registration)
    login_in_browser(page, live_server, coordinator.username)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/waitlist/{registration.pk}/")
    wrap = page.locator("[aria-label='Household members']")
    overflow = wrap.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 0
    phn = registration.members.first().phn
    cell = page.get_by_role("cell", name=phn)
    box, frame = cell.bounding_box(), wrap.bounding_box()
    assert box["x"] + box["width"] <= frame["x"] + frame["width"]


def test_manager_reports(live_server, page, manager, thompson):
    for i in range(14):
        RegistrationFactory(registered_at=timezone.now() - datetime.timedelta(days=2 + i))
    reports.build_snapshots([thompson.pk])
    login_in_browser(page, live_server, manager.username)
    assert check(page, f"{live_server.url}/reports/") == {}


def test_clinic_panel_delegations_and_clinic_pages(live_server, page, moa, provider, clinic):
    patient = PatientFactory(registration=None)
    PanelEntry.objects.create(patient=patient, provider=provider, since=datetime.date(2020, 1, 1),
                              source=PanelEntry.Source.UPLOAD)
    login_in_browser(page, live_server, moa.username)
    assert check(page, f"{live_server.url}/panels/provider/{provider.pk}/") == {}
    assert check(page, f"{live_server.url}/clinic/providers/{provider.pk}/delegations/") == {}

    lead = UserFactory(username="lead")
    roles.grant_clinic(lead, clinic)
    page.context.clear_cookies()
    login_in_browser(page, live_server, lead.username)
    assert check(page, f"{live_server.url}/clinic/clinics/{clinic.pk}/") == {}
