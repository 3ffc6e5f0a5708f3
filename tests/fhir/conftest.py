"""Helpers for the FHIR tests: a panel, an attached household, a FHIR client."""

import datetime
import json

import pytest

from attachment.workflow import services as workflow
from providers.capacity import declare_capacity
from registries.models import PanelEntry
from tests.attachment.conftest import offer_for
from tests.factories import PatientFactory, household

FHIR_JSON = "application/fhir+json"


def panel_of(provider, n, **fields):
    patients = [PatientFactory(**fields) for _ in range(n)]
    for p in patients:
        PanelEntry.objects.create(provider=provider, patient=p, since=datetime.date(2021, 3, 1),
                                  source=PanelEntry.Source.UPLOAD)
    return patients


def attached_offer(provider, coordinator, moa, kamloops, size=2, **registration):
    declare_capacity(provider, accepting=True, new_patients=size + 2)
    fields = {"needs": ["chronic_disease", "mental_health"], "languages": ["pa", "en"],
              "priority_factors": ["chronic_condition"], "address": "12 Elm Street", "postal_code": "V2C 1A1",
              **registration}
    reg = household(size, community=kamloops, **fields)
    offer = offer_for(reg, coordinator)
    workflow.clinic_accept(offer.pk, by=moa)
    workflow.patient_confirm(offer.pk, by=coordinator)
    offer.refresh_from_db()
    return offer


def get(client, url, **params):
    response = client.get(url, params, HTTP_ACCEPT=FHIR_JSON)
    return response, json.loads(response.content)


def post_message(client, bundle):
    body = bundle if isinstance(bundle, (bytes, str)) else json.dumps(bundle)
    response = client.post("/fhir/$process-message", body, content_type=FHIR_JSON, HTTP_ACCEPT=FHIR_JSON)
    return response, json.loads(response.content)


@pytest.fixture
def panel(provider):
    return panel_of(provider, 3)
