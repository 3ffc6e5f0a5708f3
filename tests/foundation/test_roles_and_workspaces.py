"""Each role lands in its own workspace after login and is refused the others'."""

import pytest
from django.urls import reverse

from attachment.core import access, roles
from tests.conftest import login

pytestmark = pytest.mark.django_db

WORKSPACES = {
    "coordinator": "patients:waitlist",
    "moa": "providers:workspace",
    "manager": "reports:dashboard",
    "administrator": "admin:index",
}


@pytest.mark.parametrize("role", list(WORKSPACES))
def test_each_role_lands_in_its_workspace(client, role, request):
    user = request.getfixturevalue(role)
    login(client, user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(WORKSPACES[role])
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    "role, forbidden",
    [
        ("coordinator", ["providers:workspace"]),
        ("moa", ["patients:waitlist", "reports:dashboard"]),
        ("manager", ["patients:waitlist", "providers:workspace"]),
    ],
)
def test_roles_are_refused_other_workspaces(client, role, forbidden, request):
    login(client, request.getfixturevalue(role))
    for name in forbidden:
        assert client.get(reverse(name)).status_code in (403, 404), name


def test_admin_site_refuses_non_administrators(client, coordinator):
    login(client, coordinator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_anonymous_visitors_are_sent_to_login(client):
    for name in WORKSPACES.values():
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_a_user_without_role_is_told_so(client):
    from tests.factories import UserFactory

    login(client, UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert b"no role" in response.content


def test_scopes_follow_object_permissions(coordinator, other_coordinator, thompson, other_division, moa, provider):
    assert list(access.coordinator_divisions(coordinator)) == [thompson]
    assert list(access.coordinator_divisions(other_coordinator)) == [other_division]
    assert list(access.acting_providers(moa)) == [provider]
    roles.revoke_provider(moa, provider)
    assert list(access.acting_providers(moa)) == []


def test_staff_without_mfa_must_set_it_up_when_required(client, coordinator, settings):
    settings.ATTACH_REQUIRE_MFA = True
    login(client, coordinator)
    response = client.get(reverse("patients:waitlist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    # The setup page itself stays reachable (allauth may first ask to confirm the password).
    setup = client.get(reverse("mfa_activate_totp"), follow=True)
    assert setup.status_code == 200
    assert setup.request["PATH_INFO"].startswith("/accounts/")


def test_staff_with_totp_pass_the_mfa_gate(client, coordinator, settings):
    from allauth.mfa.models import Authenticator

    settings.ATTACH_REQUIRE_MFA = True
    Authenticator.objects.create(user=coordinator, type=Authenticator.Type.TOTP, data={"secret": "x"})
    login(client, coordinator)
    assert client.get(reverse("patients:waitlist")).status_code == 200


def test_public_pages_need_no_login(client):
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("healthz")).json() == {"ok": True}


def test_nobody_can_sign_up_for_a_staff_account(client):
    response = client.get(reverse("account_signup"))
    assert b"Sign Up Closed" in response.content or response.status_code in (403, 404)


def test_the_login_page_does_not_invite_a_sign_up(client):
    page = client.get(reverse("account_login"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "sign up" not in html.lower()
    assert reverse("account_signup") not in html
    assert "An administrator sets up your account" in html
    assert 'name="password"' in html
