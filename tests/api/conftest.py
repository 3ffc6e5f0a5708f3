"""The API's world: people and systems in two divisions, with panels, an offer and a run."""

import base64
import datetime
import json

import pytest
from django.urls import reverse

from api import clients
from attachment.core import roles
from attachment.workflow import services as workflow
from providers.models import ClinicMembership, Delegation
from registries.models import PanelEntry
from tests.attachment.conftest import accepting_provider, offer_for, run
from tests.factories import ClinicFactory, PatientFactory, UserFactory, community, household


def register(role, scope, name=None):
    """An API client (and its secret) registered as an administrator does."""
    return clients.register_client(name=name or f"{role} system", kind="emr", role=role, scope=scope)


def token_for(client, api_client, secret, **extra):
    basic = base64.b64encode(f"{api_client.application.client_id}:{secret}".encode()).decode()
    response = client.post(reverse("oauth2_provider:token"), {"grant_type": "client_credentials", **extra},
                           HTTP_AUTHORIZATION=f"Basic {basic}")
    return response


def bearer(client, api_client, secret):
    response = token_for(client, api_client, secret)
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access_token']}"}


def post_json(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


@pytest.fixture
def api_world(coordinator, moa, provider, kamloops, clinic, other_coordinator, other_division):
    """Thompson (the coordinator's, the MOA's provider) and Victoria (another coordinator's)."""
    registration = household(2, community=kamloops)
    victoria = community("Victoria")
    other_registration = household(1, community=victoria)
    other_clinic = ClinicFactory(community=victoria, name="Victoria Clinic")
    other_provider = accepting_provider(other_clinic, 0, last_name="Far")
    patient = PatientFactory(first_name="Ming", last_name="Joe")
    entry = PanelEntry.objects.create(provider=provider, patient=patient, since=datetime.date(2020, 1, 1),
                                      source=PanelEntry.Source.UPLOAD)
    far_entry = PanelEntry.objects.create(provider=other_provider, patient=PatientFactory(),
                                          since=datetime.date(2021, 1, 1), source=PanelEntry.Source.UPLOAD)
    from providers.capacity import declare_capacity

    declare_capacity(provider, accepting=True, new_patients=3)
    offered = household(1, community=kamloops)
    offer = offer_for(offered, coordinator)
    match_run = run(coordinator, division=kamloops.division_id)
    other_run = run(other_coordinator, division=other_division.pk)
    # An MOA of the other clinic, acting for the other provider: their offers and panel are not ours.
    other_moa = UserFactory(username="victoria-moa")
    roles.add_role(other_moa, roles.MOA)
    ClinicMembership.objects.create(clinic=other_clinic, user=other_moa)
    Delegation.objects.create(provider=other_provider, delegate=other_moa, status=Delegation.Status.ACTIVE)
    roles.grant_provider(other_moa, other_provider)
    return {"registration": registration, "other_registration": other_registration, "provider": provider,
            "other_provider": other_provider, "entry": entry, "far_entry": far_entry, "offer": offer,
            "run": match_run, "other_run": other_run, "coordinator": coordinator, "moa": moa,
            "other_moa": other_moa, "clinic": clinic, "other_clinic": other_clinic, "patient": patient,
            "workflow": workflow}
