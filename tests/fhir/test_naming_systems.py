"""BC's naming systems for the MSP practitioner and facility numbers (the Provider and
Location Registry's): emitted by /fhir/ and the bulk export alike; the URIs Attach used
before are still accepted on input, so an EMR built against them keeps working."""

import datetime
import json

import pytest

from api.bulk import services as bulk
from fhir import mapping
from fhir.models import ClinicIntegration
from registries.models import PanelEntry
from tests.conftest import login
from tests.factories import PatientFactory
from tests.fhir.conftest import get, post_message
from tests.fhir.test_process_message import add_message, new_patient, open_panel

pytestmark = pytest.mark.django_db
MPID = "https://health.gov.bc.ca/fhir/NamingSystem/ca-bc-ministry-practitioner-id"
HFI = "https://health.gov.bc.ca/fhir/NamingSystem/ca-bc-msp-facility-id"
OLD_PRACTITIONER = "https://fhir.attach.bc.ca/NamingSystem/ca-bc-msp-practitioner-number"
OLD_FACILITY = "https://fhir.attach.bc.ca/NamingSystem/ca-bc-msp-facility-number"


def test_practitioner_and_organization_carry_bcs_systems(client, moa, provider, clinic):
    ClinicIntegration.objects.create(clinic=clinic, facility_number="K1234")
    login(client, moa)
    _, practitioner = get(client, f"/fhir/Practitioner/{provider.pk}")
    assert practitioner["identifier"] == [{"system": MPID, "value": provider.practitioner_number}]
    _, organization = get(client, f"/fhir/Organization/{clinic.pk}")
    assert organization["identifier"][0] == {"system": HFI, "value": "K1234"}
    for system in (MPID, OLD_PRACTITIONER):
        _, found = get(client, "/fhir/Practitioner", identifier=f"{system}|{provider.practitioner_number}")
        assert [e["resource"]["id"] for e in found["entry"]] == [str(provider.pk)], system
    for system in (HFI, OLD_FACILITY):
        _, found = get(client, "/fhir/Organization", identifier=f"{system}|K1234")
        assert [e["resource"]["id"] for e in found["entry"]] == [str(clinic.pk)], system
    response, outcome = get(client, "/fhir/Practitioner", identifier=f"https://example.org/npi|{provider.practitioner_number}")
    assert response.status_code == 400 and outcome["issue"][0]["expression"] == ["identifier"]


def test_a_message_with_the_old_systems_is_still_applied(client, moa, provider, clinic):
    ClinicIntegration.objects.create(clinic=clinic, facility_number="K1234")
    login(client, moa)
    patient = new_patient()
    bundle = add_message(provider, clinic, [patient], message_id="msg-old-systems")
    practitioner = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Practitioner")
    organization = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Organization")
    assert practitioner["identifier"][0]["system"] == MPID  # what Attach emits now
    practitioner["identifier"][0]["system"] = OLD_PRACTITIONER
    organization["identifier"] = [{"system": OLD_FACILITY, "value": "K1234"}]
    response, body = post_message(client, bundle)
    assert response.status_code == 200, body
    assert open_panel(provider) == {patient["identifier"][0]["value"]}


def test_the_bulk_export_says_the_same_systems(settings, tmp_path, moa, provider, clinic):
    settings.MEDIA_ROOT = tmp_path
    ClinicIntegration.objects.create(clinic=clinic, facility_number="K1234")
    PanelEntry.objects.create(provider=provider, patient=PatientFactory(), since=datetime.date(2024, 1, 1),
                              source="upload")
    export = bulk.request_export(user=moa, provider_ids=[provider.pk], types=["Practitioner", "Organization"],
                                 since=None, request_url="/fhir/$export")
    export = bulk.run_export(export.pk)
    (practitioner,) = map(json.loads, bulk.file_path(export, "Practitioner").read_text().splitlines())
    assert practitioner["identifier"] == mapping.practitioner(provider)["identifier"]
    (organization,) = map(json.loads, bulk.file_path(export, "Organization").read_text().splitlines())
    assert organization["identifier"] == mapping.organization(clinic)["identifier"] == [
        {"system": HFI, "value": "K1234"}, {"system": mapping.CLINIC_SYSTEM, "value": str(clinic.pk)}]
    mapping.validated(organization)
