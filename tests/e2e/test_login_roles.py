"""Each role logs in through the real login form in Chromium and lands in its own workspace."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login_in_browser

WORKSPACE_HEADINGS = {
    "coordinator": "Waitlist",
    "moa": "Clinic workspace",
    "manager": "Reports",
    "administrator": "Site administration",
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", list(WORKSPACE_HEADINGS))
def test_role_logs_in_to_its_workspace(role, request, live_server, page):
    user = request.getfixturevalue(role)
    login_in_browser(page, live_server, user.username)
    expect(page.locator("h1").first).to_contain_text(WORKSPACE_HEADINGS[role])


@pytest.mark.django_db(transaction=True)
def test_wrong_password_is_refused(coordinator, live_server, page):
    login_in_browser(page, live_server, coordinator.username, password="not-the-password")
    expect(page.locator("body")).to_contain_text("not correct")
    assert "/accounts/login/" in page.url
