"""A system (an EMR) on /fhir/ with a real OAuth 2 client-credentials token: the same scope
as a person in its role, every read audited naming the client."""

import json

import pytest

from attachment.core import roles
from attachment.core.models import AuditEvent
from fhir import mapping, messages
from registries.models import PanelEntry
from tests.api.conftest import bearer, register
from tests.factories import ClinicFactory, ProviderFactory, next_phn
from tests.fhir.conftest import FHIR_JSON, panel_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def emr(client, provider):
    api_client, secret = register(roles.MOA, [provider], name="Riverside EMR")
    return api_client, bearer(client, api_client, secret)


def test_an_emr_reads_its_providers_panel_and_the_audit_names_the_client(client, emr, provider):
    api_client, headers = emr
    panel = panel_of(provider, 2)
    elsewhere = panel_of(ProviderFactory(clinic=ClinicFactory()), 1)[0]
    response = client.get(f"/fhir/Group/{provider.pk}", HTTP_ACCEPT=FHIR_JSON, **headers)
    assert response.status_code == 200, response.content
    assert {m["entity"]["reference"] for m in response.json()["member"]} == {f"Patient/{p.pk}" for p in panel}
    response = client.get(f"/fhir/Patient/{panel[0].pk}", **headers)
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="view", object_type="patients.Patient").latest("pk")
    assert event.user == api_client.user and "API client Riverside EMR" in event.summary
    assert client.get(f"/fhir/Patient/{elsewhere.pk}", **headers).status_code == 404
    found = client.get("/fhir/Patient", {"identifier": f"{mapping.PHN_SYSTEM}|{elsewhere.phn}"}, **headers).json()
    assert found["total"] == 0


def test_an_emr_sends_a_panel_message_with_its_token(client, emr, provider, clinic):
    api_client, headers = emr
    patient = {"resourceType": "Patient", "identifier": [{"system": mapping.PHN_SYSTEM, "value": next_phn()}],
               "name": [{"family": "Tremblay", "given": ["Luc"]}], "birthDate": "1990-07-01"}
    bundle = messages.panel_message(messages.ADD, practitioner=mapping.practitioner(provider),
                                    organization=mapping.organization(clinic), patients=[patient],
                                    group_id=str(provider.pk))
    response = client.post("/fhir/$process-message", json.dumps(bundle), content_type=FHIR_JSON, **headers)
    assert response.status_code == 200, response.content
    entry = PanelEntry.objects.get(provider=provider, patient__phn=patient["identifier"][0]["value"])
    event = AuditEvent.objects.filter(action="create", object_type="registries.PanelEntry",
                                      object_id=str(entry.pk)).get()
    assert event.user == api_client.user and "API client Riverside EMR" in event.summary

    stranger = ProviderFactory(clinic=clinic)
    other = messages.panel_message(messages.ADD, practitioner=mapping.practitioner(stranger),
                                   organization=mapping.organization(clinic), patients=[patient],
                                   group_id=str(stranger.pk))
    response = client.post("/fhir/$process-message", json.dumps(other), content_type=FHIR_JSON, **headers)
    assert response.status_code == 403 and response.json()["resourceType"] == "OperationOutcome"
    response = client.post("/fhir/$process-message", b"{not json", content_type=FHIR_JSON, **headers)
    assert response.status_code == 400 and response.json()["issue"][0]["expression"] == ["Bundle"]


def test_a_bad_token_is_an_operation_outcome(client):
    response = client.get("/fhir/Patient", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401 and response.json()["resourceType"] == "OperationOutcome"
