"""The public side in the browser: a household registers in Punjabi through every state of
the form (a second person, errors, check your answers), checks its status and finds its
registration again; the same journey with the keyboard alone; axe-core on every page and
state they reach, in each language."""

import re

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from playwright.sync_api import expect

from patients import lookup
from patients.models import Registration
from tests.e2e.conftest import assert_accessible
from tests.factories import household, next_phn

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast_lookups(settings):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0
    settings.ATTACH_REGISTER_RATE = "1000/h"
    settings.ATTACH_LOOKUP_RATE = "1000/15m"
    yield
    # The browser is 127.0.0.1 for every journey, and the limits live in the real Redis:
    # the wrong tries made here must not use up the next journey's budget.
    window = lookup.parse_rate("1000/15m")[1]
    for address in ("127.0.0.1", "::1"):
        caches[django_settings.RATELIMIT_USE_CACHE].delete(lookup._bucket("address", address, window))


def fill_person(page, index, first, last, day, month, year, phn):
    prefix = f"#id_members-{index}-"
    page.fill(prefix + "first_name", first)
    page.fill(prefix + "last_name", last)
    page.fill(prefix + "date_of_birth", day)
    page.fill(prefix + "date_of_birth_month", month)
    page.fill(prefix + "date_of_birth_year", year)
    page.fill(prefix + "phn", phn)


def test_a_household_registers_in_punjabi_and_checks_its_status(live_server, page):
    page.goto(f"{live_server.url}/register/")
    assert_accessible(page)
    page.get_by_role("button", name="ਪੰਜਾਬੀ").click()
    expect(page.locator("html")).to_have_attribute("lang", "pa")
    expect(page.get_by_role("heading", level=1)).to_have_text("ਫੈਮਿਲੀ ਡਾਕਟਰ ਜਾਂ ਨਰਸ ਪ੍ਰੈਕਟੀਸ਼ਨਰ ਲਈ ਰਜਿਸਟਰ ਕਰੋ")
    assert_accessible(page)

    fill_person(page, 0, "Priya", "Dhillon", "12", "4", "1986", next_phn())
    page.get_by_role("button", name="ਇੱਕ ਹੋਰ ਵਿਅਕਤੀ ਸ਼ਾਮਲ ਕਰੋ").click()
    # The page comes back at the new person, its first box focused, the first person kept.
    expect(page.locator("#id_members-1-first_name")).to_be_focused()
    expect(page.locator("#id_members-0-first_name")).to_have_value("Priya")
    assert_accessible(page)
    fill_person(page, 1, "Arjun", "Dhillon", "30", "9", "", next_phn())

    page.fill("#id_address", "455 Tranquille Road")
    page.select_option("#id_community", label="Kamloops")
    page.check("#id_consent")
    page.locator("#submit-registration").click()
    # Errors, in Punjabi, in the page's order, the summary focused.
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text([
        "ਵਿਅਕਤੀ 2: ਜਨਮ ਮਿਤੀ ਵਿੱਚ ਸਾਲ ਹੋਣਾ ਲਾਜ਼ਮੀ ਹੈ",
        "ਫ਼ੋਨ ਨੰਬਰ ਜਾਂ ਈਮੇਲ ਪਤਾ (ਜਾਂ ਦੋਵੇਂ) ਦਰਜ ਕਰੋ ਤਾਂ ਜੋ ਅਸੀਂ ਤੁਹਾਡੇ ਨਾਲ ਸੰਪਰਕ ਕਰ ਸਕੀਏ",
    ])
    assert_accessible(page)
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_members-1-date_of_birth")).to_be_focused()
    page.fill("#id_members-1-date_of_birth_year", "2015")
    page.fill("#id_email", "priya@example.org")
    page.check("#id_consent")
    page.locator("#submit-registration").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("ਰਜਿਸਟਰ ਕਰਨ ਤੋਂ ਪਹਿਲਾਂ ਆਪਣੇ ਜਵਾਬਾਂ ਦੀ ਜਾਂਚ ਕਰੋ")
    expect(page.locator("main")).to_contain_text("Arjun Dhillon")
    assert Registration.objects.count() == 0
    assert_accessible(page)
    page.locator("#confirm-registration").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("ਤੁਸੀਂ ਉਡੀਕ ਸੂਚੀ ਵਿੱਚ ਹੋ")
    assert_accessible(page)
    code = page.locator("#reference-code").inner_text().strip()
    registration = Registration.objects.get(reference_code=code)
    assert registration.language == "pa" and registration.household_size == 2

    page.get_by_role("link", name="ਆਪਣੀ ਸਥਿਤੀ ਦੇਖੋ").click()
    assert_accessible(page)
    page.fill("#id_reference_code", code.lower())
    page.fill("#id_date_of_birth", "30")
    page.fill("#id_date_of_birth_month", "9")
    page.fill("#id_date_of_birth_year", "2015")
    page.get_by_role("button", name="ਸਥਿਤੀ ਦੇਖੋ").click()
    expect(page.locator("#status-answer")).to_contain_text("ਤੁਸੀਂ ਉਡੀਕ ਸੂਚੀ ਵਿੱਚ ਹੋ।")
    expect(page.locator("body")).not_to_contain_text("Dhillon")
    assert_accessible(page)


@pytest.mark.parametrize("language", ["Français", "繁體中文", "简体中文"])
def test_every_public_page_and_state_passes_axe_in_each_language(live_server, page, language):
    registration = household(1)
    base = live_server.url
    page.goto(f"{base}/")
    page.get_by_role("button", name=language).click()
    assert_accessible(page)
    for path in ("/register/", "/register/already/", "/status/", f"/offer/{registration.reference_code}/"):
        page.goto(base + path)
        assert_accessible(page)
    # The states a person reaches: errors on each form, a failed look-up, a sent code.
    page.goto(f"{base}/status/")
    page.locator("main form button[type=submit]").click()
    assert_accessible(page)
    page.goto(f"{base}/register/already/")
    page.fill("#id_phn", next_phn())
    page.fill("#id_date_of_birth", "1")
    page.fill("#id_date_of_birth_month", "2")
    page.fill("#id_date_of_birth_year", "1990")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#resend-answer")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base}/offer/{registration.reference_code}/")
    page.fill("#id_reference_code", "ACDEFGHJ")
    page.fill("#id_date_of_birth", "1")
    page.fill("#id_date_of_birth_month", "2")
    page.fill("#id_date_of_birth_year", "1990")
    page.locator("main form button[type=submit]").click()
    assert_accessible(page)


# --- the keyboard alone -------------------------------------------------------------------


def tab_to(page, selector, limit=120):
    """Press Tab (only Tab) until the element `selector` has the focus: it must be reachable,
    and after the elements before it (a journey that goes forward only proves the order)."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def type_into(page, selector, text):
    tab_to(page, selector)
    page.keyboard.type(text)


def type_in_turn(page, *texts):
    """Type into the focused box, then each next one in tab order: a member's boxes follow one
    another (first and last name, the three date boxes, the PHN), as the date's three do."""
    for i, text in enumerate(texts):
        if i:
            page.keyboard.press("Tab")
        page.keyboard.type(text)


def test_registration_and_the_status_look_up_with_the_keyboard_alone(live_server, page):
    page.goto(f"{live_server.url}/register/")
    # The first Tab reaches the skip link, which takes the focus past the header.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.url.endswith("#content")

    phn = next_phn()
    tab_to(page, "#id_members-0-first_name")
    type_in_turn(page, "Lena", "Okafor", "7", "11", "1979", phn)
    tab_to(page, "button[name=add_member]")
    page.keyboard.press("Enter")
    expect(page.locator("#id_members-1-first_name")).to_be_focused()
    type_in_turn(page, "Ada", "Okafor", "1", "6", "2024", next_phn())
    expect(page.locator("#id_members-0-first_name")).to_have_value("Lena")

    type_into(page, "#id_phone", "250-555-0199")
    type_into(page, "#id_address", "88 Columbia Street")
    tab_to(page, "#id_community")
    page.keyboard.type("Kamloops")  # a focused select picks the option typed
    expect(page.locator("#id_community")).to_have_value(re.compile(r"\d+"))
    tab_to(page, "input[name=languages][value=en]")
    page.keyboard.press("Space")
    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    expect(page.locator("#id_consent")).to_be_checked()
    tab_to(page, "#submit-registration")
    page.keyboard.press("Enter")

    expect(page.locator("#check-answers")).to_be_visible()
    assert_accessible(page)
    tab_to(page, "#confirm-registration")
    page.keyboard.press("Enter")
    expect(page.locator("#reference-code")).to_be_visible()
    code = page.locator("#reference-code").inner_text().strip()
    registration = Registration.objects.get(reference_code=code)
    assert registration.household_size == 2 and registration.languages == ["en"]

    tab_to(page, "main a[href='/status/']")
    page.keyboard.press("Enter")
    expect(page.locator("#id_reference_code")).to_be_visible()
    # A wrong try first: the error summary takes the focus, its link leads to the field.
    type_into(page, "#id_reference_code", code)
    page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#id_date_of_birth")).to_be_focused()
    expect(page.locator("#id_reference_code")).to_have_value(code)  # what was typed is kept
    type_in_turn(page, "1", "6", "2024")
    page.keyboard.press("Enter")
    expect(page.locator("#status-answer")).to_contain_text("You are on the waitlist.")
    assert_accessible(page)
