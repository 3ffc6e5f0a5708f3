"""$process-message: PAS-shaped panel messages add and remove members through the panel
services, all or nothing, idempotent by message id; bad input is an OperationOutcome
naming the element."""

import copy
import json

import pytest

from attachment.core.models import AuditEvent
from fhir import mapping, messages
from fhir.models import ClinicIntegration, ProcessedMessage
from patients.models import Patient
from registries.models import PanelConflict, PanelEntry
from tests.conftest import login
from tests.factories import ClinicFactory, PatientFactory, ProviderFactory, next_phn
from tests.fhir.conftest import get, panel_of, post_message

pytestmark = pytest.mark.django_db


def new_patient(phn=None, family="Okafor", given="Chidi", birth="1975-02-03"):
    return {"resourceType": "Patient", "identifier": [{"system": mapping.PHN_SYSTEM, "value": phn or next_phn()}],
            "name": [{"family": family, "given": [given]}], "birthDate": birth, "gender": "male"}


def add_message(provider, clinic, patients, message_id=None):
    return messages.panel_message(messages.ADD, practitioner=mapping.practitioner(provider),
                                  organization=mapping.organization(clinic), patients=patients,
                                  group_id=str(provider.pk), message_id=message_id)


def open_panel(provider):
    return set(PanelEntry.objects.filter(provider=provider, ended_at__isnull=True).values_list("patient__phn", flat=True))


def test_an_add_message_adds_members_as_98990_and_answers_a_response_message(client, moa, provider, clinic):
    login(client, moa)
    patients = [new_patient(), new_patient(family="Ngata", given="Aroha")]
    bundle = add_message(provider, clinic, patients, message_id="msg-0001")
    response, body = post_message(client, bundle)
    assert response.status_code == 200, body
    assert open_panel(provider) == {p["identifier"][0]["value"] for p in patients}
    assert set(PanelEntry.objects.filter(provider=provider).values_list("source", flat=True)) == {"98990"}
    assert AuditEvent.objects.filter(user=moa, action="create", object_type="registries.PanelEntry").count() == 2
    header = body["entry"][0]["resource"]
    assert body["type"] == "message" and header["resourceType"] == "MessageHeader"
    assert header["response"] == {"identifier": "msg-0001", "code": "ok",
                                  "details": {"reference": body["entry"][1]["fullUrl"]}}
    issues = body["entry"][1]["resource"]["issue"]
    assert all("added to the panel" in i["diagnostics"] for i in issues)
    mapping.validated(body)


def test_a_replayed_message_changes_nothing_and_answers_the_same(client, moa, provider, clinic):
    login(client, moa)
    bundle = add_message(provider, clinic, [new_patient()], message_id="msg-replay")
    _, first = post_message(client, bundle)
    events = AuditEvent.objects.count()
    response, second = post_message(client, bundle)
    assert response.status_code == 200 and second == first
    assert PanelEntry.objects.filter(provider=provider).count() == 1
    assert AuditEvent.objects.count() == events
    # The same id with another body is refused, not answered with the other's response.
    other = add_message(provider, clinic, [new_patient()], message_id="msg-replay")
    response, body = post_message(client, other)
    assert response.status_code == 409 and body["issue"][0]["expression"] == ["Bundle.id"]
    assert PanelEntry.objects.filter(provider=provider).count() == 1


def test_a_remove_message_ends_the_entries_with_its_reason(client, moa, provider, clinic):
    panel = panel_of(provider, 2)
    login(client, moa)
    bundle = messages.message_for(messages.REMOVE, provider, panel[:1], clinic=clinic, reason="Moved to Alberta")
    response, body = post_message(client, bundle)
    assert response.status_code == 200, body
    entry = PanelEntry.objects.get(patient=panel[0])
    assert entry.ended_at is not None and entry.end_reason == "Moved to Alberta"
    assert open_panel(provider) == {panel[1].phn}


def test_a_patient_on_another_panel_is_a_claim_for_the_coordinators(client, moa, provider, clinic):
    elsewhere = ProviderFactory(clinic=ClinicFactory())
    taken = panel_of(elsewhere, 1)[0]
    login(client, moa)
    bundle = add_message(provider, clinic, [new_patient(taken.phn, taken.last_name, taken.first_name,
                                                        taken.date_of_birth.isoformat())])
    response, body = post_message(client, bundle)
    assert response.status_code == 200
    assert "coordinators' review" in body["entry"][1]["resource"]["issue"][0]["diagnostics"]
    assert PanelConflict.objects.filter(patient=taken, claiming_provider=provider).exists()
    assert open_panel(provider) == set()


def test_nothing_is_applied_when_one_member_fails(client, moa, provider, clinic):
    already = panel_of(provider, 1)[0]
    login(client, moa)
    fresh = new_patient()
    bundle = add_message(provider, clinic, [fresh, new_patient(already.phn, already.last_name, already.first_name,
                                                               already.date_of_birth.isoformat())])
    response, body = post_message(client, bundle)
    assert response.status_code == 422
    assert body["issue"][0]["expression"] == ["Bundle.entry[5].resource"]
    assert "already on this panel" in body["issue"][0]["diagnostics"]
    assert not Patient.objects.filter(phn=fresh["identifier"][0]["value"]).exists()
    assert not ProcessedMessage.objects.exists()


def _expect(client, bundle, status, expression, words):
    before = (PanelEntry.objects.count(), Patient.objects.count())
    response, body = post_message(client, bundle)
    assert response.status_code == status, body
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["expression"] == [expression], body
    assert words in body["issue"][0]["diagnostics"], body
    assert (PanelEntry.objects.count(), Patient.objects.count()) == before


def test_bad_input_names_the_element_and_applies_nothing(client, moa, provider, clinic):
    login(client, moa)
    good = add_message(provider, clinic, [new_patient()])
    patient_at = "Bundle.entry[4].resource"

    _expect(client, b'{"resourceType": "Bundle", "type": ', 400, "Bundle", "not JSON")

    bad_date = copy.deepcopy(good)
    bad_date["entry"][4]["resource"]["birthDate"] = "1975-13-40"
    _expect(client, bad_date, 400, f"{patient_at}.birthDate", "fails FHIR validation")

    unknown_field = copy.deepcopy(good)
    unknown_field["entry"][4]["resource"]["shoeSize"] = 9
    _expect(client, unknown_field, 400, f"{patient_at}.shoeSize", "fails FHIR validation")

    other_system = copy.deepcopy(good)
    other_system["entry"][4]["resource"]["identifier"][0]["system"] = "https://example.org/mrn"
    _expect(client, other_system, 400, f"{patient_at}.identifier[0].system", "Unknown PHN system")

    bad_check = copy.deepcopy(good)
    phn = bad_check["entry"][4]["resource"]["identifier"][0]["value"]
    bad_check["entry"][4]["resource"]["identifier"][0]["value"] = phn[:9] + str((int(phn[9]) + 1) % 10)
    _expect(client, bad_check, 400, f"{patient_at}.identifier[0].value", "check digit")

    no_id = copy.deepcopy(good)
    del no_id["id"]
    _expect(client, no_id, 400, "Bundle.id", "needs an id")

    bad_event = copy.deepcopy(good)
    bad_event["entry"][0]["resource"]["eventCoding"]["code"] = "panel-merge"
    _expect(client, bad_event, 400, "Bundle.entry[0].resource.eventCoding", "event")

    wrong_facility = copy.deepcopy(good)
    wrong_facility["entry"][3]["resource"]["identifier"] = [
        {"system": mapping.FACILITY_SYSTEM, "value": "99999"}]
    _expect(client, wrong_facility, 422, "Bundle.entry[3].resource.identifier", "not a facility")


def test_a_provider_outside_the_callers_scope_is_refused(client, moa, provider, clinic):
    stranger = ProviderFactory(clinic=clinic)  # same clinic, but no delegation to this MOA
    login(client, moa)
    bundle = add_message(stranger, clinic, [new_patient()])
    _expect(client, bundle, 403, "Bundle.entry[2].resource.identifier", "No provider you act for")
    bundle["entry"][2]["resource"]["identifier"][0]["value"] = "00000"  # no such number: the same answer
    _expect(client, bundle, 403, "Bundle.entry[2].resource.identifier", "No provider you act for")


def test_the_facility_number_names_the_clinic(client, moa, provider, clinic):
    ClinicIntegration.objects.create(clinic=clinic, facility_number="K1234")
    login(client, moa)
    organization = mapping.organization(clinic)
    assert organization["identifier"][0] == {"system": mapping.FACILITY_SYSTEM, "value": "K1234"}
    bundle = add_message(provider, clinic, [new_patient()])
    bundle["entry"][3]["resource"]["identifier"] = [{"system": mapping.FACILITY_SYSTEM, "value": "K1234"}]
    assert post_message(client, bundle)[0].status_code == 200


def test_a_panel_exported_as_fhir_and_loaded_through_messages_is_the_same_panel(client, coordinator, moa,
                                                                                  provider, clinic):
    panel_of(provider, 4, gender="F")
    PatientFactory()  # someone on no panel: not exported
    login(client, coordinator)
    _, export = get(client, "/fhir/Group", **{"managing-entity": f"Practitioner/{provider.pk}",
                                              "_include": "Group:member"})
    group = next(e["resource"] for e in export["entry"] if e["search"]["mode"] == "match")
    patients = [e["resource"] for e in export["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert len(patients) == len(group["member"]) == 4
    _, practitioner = get(client, group["managingEntity"]["reference"].replace("Practitioner", "/fhir/Practitioner"))
    _, organization = get(client, f"/fhir/Organization/{clinic.pk}")

    def people():
        return sorted((p.phn, p.first_name, p.last_name, p.date_of_birth, p.gender) for p in Patient.objects.filter(
            panel_entries__provider=provider, panel_entries__ended_at__isnull=True))

    before = people()
    # An empty registry: no panel entries, no patients; the provider and clinic stay.
    PanelEntry.objects.all().delete()
    Patient.objects.all().delete()
    message = messages.panel_message(messages.ADD, practitioner=practitioner, organization=organization,
                                     patients=[{k: v for k, v in p.items() if k != "id"} for p in patients],
                                     group_id=group["id"])
    login(client, moa)
    response, body = post_message(client, json.loads(json.dumps(message)))
    assert response.status_code == 200, body
    assert people() == before
