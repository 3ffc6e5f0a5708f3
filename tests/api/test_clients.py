"""Systems: registered by an administrator, tokens by client credentials, expiry and revocation."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken

from api import clients
from api.models import ApiClient
from attachment.core import roles
from attachment.core.models import AuditEvent
from tests.api.conftest import bearer, register, token_for
from tests.conftest import login

pytestmark = pytest.mark.django_db
REGISTRATIONS = "/api/v1/registrations/"


def test_a_client_credentials_token_is_the_clients_service_account(client, thompson, api_world):
    api_client, secret = register(roles.COORDINATOR, [thompson], name="Interior warehouse")
    response = token_for(client, api_client, secret)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and "refresh_token" not in body
    token = AccessToken.objects.get(application=api_client.application)
    assert token.token != body["access_token"]  # stored hashed (RFC 9700): a leaked table holds no usable token
    assert token.user is None  # what django-oauth-toolkit leaves for client credentials...
    listed = client.get(REGISTRATIONS, HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert listed.status_code == 200  # ...and the API resolves to the service account, in its scope
    codes = {r["reference_code"] for r in listed.json()["results"]}
    assert api_world["registration"].reference_code in codes
    assert api_world["other_registration"].reference_code not in codes
    # The service account is a user in the role, with the grant a person would have: no password.
    user = api_client.user
    assert roles.has_role(user, roles.COORDINATOR) and not user.has_usable_password()
    assert list(roles.scope_objects(user, "coordinates")) == [thompson]


def test_a_wrong_secret_gets_no_token(client, thompson):
    api_client, _ = register(roles.COORDINATOR, [thompson])
    assert token_for(client, api_client, "not-the-secret").status_code == 401


def test_no_token_and_a_made_up_token_are_refused(client, api_world):
    assert client.get(REGISTRATIONS).status_code in (401, 403)
    response = client.get(REGISTRATIONS, HTTP_AUTHORIZATION="Bearer made-up")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_expired_token_is_refused(client, thompson, api_world, monkeypatch):
    api_client, secret = register(roles.COORDINATOR, [thompson])
    headers = bearer(client, api_client, secret)
    assert client.get(REGISTRATIONS, **headers).status_code == 200  # resolved, and kept in Redis
    expires = AccessToken.objects.get(application=api_client.application).expires
    later = expires + datetime.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)  # the token's hour has passed
    assert client.get(REGISTRATIONS, **headers).status_code == 401


def test_a_token_shortened_in_the_database_is_refused_at_once(client, thompson, api_world):
    api_client, secret = register(roles.COORDINATOR, [thompson])
    headers = bearer(client, api_client, secret)
    assert client.get(REGISTRATIONS, **headers).status_code == 200
    token = AccessToken.objects.get(application=api_client.application)
    token.expires = timezone.now() - datetime.timedelta(seconds=1)
    token.save(update_fields=["expires"])
    assert client.get(REGISTRATIONS, **headers).status_code == 401


def test_a_kept_resolution_saves_the_token_queries(client, thompson, api_world):
    """The second call of a token asks the database nothing to know who calls."""
    from api import tokencache

    api_client, secret = register(roles.COORDINATOR, [thompson])
    headers = bearer(client, api_client, secret)
    raw = headers["HTTP_AUTHORIZATION"].split()[1]
    assert tokencache.get(tokencache.checksum(raw)) is None
    assert client.get(REGISTRATIONS, **headers).status_code == 200
    user, token, role_names = tokencache.get(tokencache.checksum(raw))
    assert user == api_client.user and token.application_id == api_client.application_id
    assert role_names == [roles.COORDINATOR]
    # Whatever the view itself asks, the token and client look-ups are not among it.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(REGISTRATIONS, **headers).status_code == 200
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "oauth2_provider_accesstoken" not in tables and "api_apiclient" not in tables


def test_a_token_revoked_by_its_client_is_refused(client, thompson, api_world):
    api_client, secret = register(roles.COORDINATOR, [thompson])
    response = token_for(client, api_client, secret)
    token = response.json()["access_token"]
    import base64

    basic = base64.b64encode(f"{api_client.application.client_id}:{secret}".encode()).decode()
    assert client.get(REGISTRATIONS, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    revoked = client.post(reverse("oauth2_provider:revoke-token"), {"token": token}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert revoked.status_code == 200
    assert client.get(REGISTRATIONS, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_a_revoked_client_loses_its_tokens_and_gets_no_new_one(client, thompson, api_world):
    api_client, secret = register(roles.COORDINATOR, [thompson])
    headers = bearer(client, api_client, secret)
    assert client.get(REGISTRATIONS, **headers).status_code == 200  # resolved, and kept in Redis
    clients.revoke_client(api_client)
    assert client.get(REGISTRATIONS, **headers).status_code == 401  # at once
    assert token_for(client, api_client, secret).status_code == 401
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None and not api_client.user.is_active


def test_a_new_secret_ends_the_old_one_and_its_tokens(client, thompson, api_world):
    api_client, secret = register(roles.COORDINATOR, [thompson])
    headers = bearer(client, api_client, secret)
    assert client.get(REGISTRATIONS, **headers).status_code == 200
    fresh = clients.new_secret(api_client)
    assert client.get(REGISTRATIONS, **headers).status_code == 401
    assert token_for(client, api_client, secret).status_code == 401
    assert client.get(REGISTRATIONS, **bearer(client, api_client, fresh)).status_code == 200


def test_people_in_the_browser_keep_their_session(client, coordinator, api_world):
    login(client, coordinator)
    response = client.get(REGISTRATIONS)
    assert response.status_code == 200
    assert {r["reference_code"] for r in response.json()["results"]} >= {api_world["registration"].reference_code}


def test_an_administrator_registers_a_client_in_the_admin(client, administrator, provider):
    login(client, administrator)
    response = client.post(reverse("admin:api_apiclient_add"), {
        "name": "Riverside EMR (MedAccess)", "kind": "emr", "role": roles.MOA, "contact_email": "it@vendor.example",
        "providers": [provider.pk]}, follow=True)
    assert response.status_code == 200
    api_client = ApiClient.objects.get(name="Riverside EMR (MedAccess)")
    page = response.content.decode()
    assert api_client.application.client_id in page and "client secret" in page
    assert clients.scope_of(api_client).get() == provider
    assert api_client.user.groups.get() == Group.objects.get(name=roles.MOA)
    assert AuditEvent.objects.filter(object_type="api.ApiClient", object_id=str(api_client.pk),
                                     action="create").exists()
    # The scope is the role's kind only: a division for an MOA client is refused, naming the field.
    refused = client.post(reverse("admin:api_apiclient_add"), {
        "name": "Wrong", "kind": "emr", "role": roles.MOA, "divisions": [provider.clinics.first().community.division_id]})
    assert refused.status_code == 200 and not ApiClient.objects.filter(name="Wrong").exists()
    assert "has no scope of this kind" in refused.content.decode()


def test_a_token_of_an_application_that_is_no_api_client_calls_nothing(client, coordinator, api_world):
    import base64

    from oauth2_provider.models import get_application_model

    Application = get_application_model()
    # Made by hand in the admin, even owned by a real coordinator: not a registered client.
    application = Application.objects.create(name="hand-made", user=coordinator, client_secret="s3cret-s3cret",
                                             client_type=Application.CLIENT_CONFIDENTIAL,
                                             authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS)
    basic = base64.b64encode(f"{application.client_id}:s3cret-s3cret".encode()).decode()
    issued = client.post(reverse("oauth2_provider:token"), {"grant_type": "client_credentials"},
                         HTTP_AUTHORIZATION=f"Basic {basic}")
    assert issued.status_code == 200  # the OAuth server issues it...
    response = client.get(REGISTRATIONS, HTTP_AUTHORIZATION=f"Bearer {issued.json()['access_token']}")
    assert response.status_code == 401  # ...and the API takes it from no one
    assert "not an active API client" in response.json()["error"]["message"]
