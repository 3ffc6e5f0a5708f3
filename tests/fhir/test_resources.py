"""Every resource /fhir/ emits parses and validates with fhir.resources; read and search are
scoped by `access` and audited."""

import pytest
from fhir.resources.R4B import get_fhir_model_class

from attachment.core.models import AuditEvent
from fhir import handoff, mapping, messages
from providers.models import ProviderClinic
from tests.conftest import login
from tests.factories import ClinicFactory, ProviderFactory
from tests.fhir.conftest import attached_offer, get, panel_of

pytestmark = pytest.mark.django_db


def assert_valid(resource: dict):
    """The resource parses with its fhir.resources R4B model, and says the same once parsed."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    assert model.model_dump(mode="json", exclude_none=True) == resource
    return model


def test_every_resource_attach_emits_validates(provider, clinic, coordinator, moa, kamloops):
    patients = panel_of(provider, 2, gender="F", postal_code="V2C 2B2")
    offer = attached_offer(provider, coordinator, moa, kamloops)
    bundle = handoff.handoff_bundle(offer)
    emitted = [
        mapping.patient(patients[0]), mapping.practitioner(provider), mapping.organization(clinic),
        mapping.practitioner_role(ProviderClinic.objects.get(provider=provider, clinic=clinic)),
        mapping.group(provider, list(provider.panel_entries.filter(ended_at__isnull=True).select_related("patient"))),
        mapping.capability_statement(), bundle,
        messages.message_for(messages.ADD, provider, patients, clinic=clinic),
        messages.message_for(messages.REMOVE, provider, patients, clinic=clinic, reason="Moved away"),
    ]
    emitted += [e["resource"] for e in bundle["entry"]]
    for resource in emitted:
        assert_valid(resource)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Patient") == 2 and kinds.count("QuestionnaireResponse") == 1
    assert kinds.count("Flag") == 2 and "Practitioner" in kinds and "Organization" in kinds


def test_the_capability_statement_is_public_and_valid(client):
    response, body = get(client, "/fhir/metadata")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    assert_valid(body)
    assert {r["type"] for r in body["rest"][0]["resource"]} >= {"Patient", "Practitioner", "PractitionerRole",
                                                                 "Organization", "Group"}


def test_patient_read_and_search_by_phn_name_and_birthdate(client, moa, provider, panel):
    login(client, moa)
    target = panel[0]
    response, body = get(client, f"/fhir/Patient/{target.pk}")
    assert response.status_code == 200
    assert body["identifier"] == [{"system": mapping.PHN_SYSTEM, "value": target.phn}]
    assert AuditEvent.objects.filter(user=moa, action="view", object_type="patients.Patient",
                                     object_id=str(target.pk)).exists()

    response, body = get(client, "/fhir/Patient", identifier=f"{mapping.PHN_SYSTEM}|{target.phn}")
    assert body["type"] == "searchset" and body["total"] == 1
    assert body["entry"][0]["resource"]["id"] == str(target.pk)
    assert_valid(body)
    assert AuditEvent.objects.filter(user=moa, action="search", object_type="patients.Patient").exists()

    _, body = get(client, "/fhir/Patient", name=target.last_name[:3])
    assert str(target.pk) in {e["resource"]["id"] for e in body["entry"]}
    _, body = get(client, "/fhir/Patient", birthdate="1980-05-17")
    assert body["total"] == 3
    _, body = get(client, "/fhir/Patient", birthdate="gt1980-05-17")
    assert body["total"] == 0


def test_search_pages_with_links(client, moa, provider):
    panel_of(provider, 5)
    login(client, moa)
    _, first = get(client, "/fhir/Patient", _count=2)
    assert first["total"] == 5 and len(first["entry"]) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "next" in links and "previous" not in links
    seen = [e["resource"]["id"] for e in first["entry"]]
    url = links["next"]
    while url:
        _, page = get(client, url.replace("http://testserver", ""))
        seen += [e["resource"]["id"] for e in page["entry"]]
        url = {link["relation"]: link["url"] for link in page["link"]}.get("next")
    assert len(seen) == len(set(seen)) == 5


def test_bad_search_parameters_answer_an_operation_outcome(client, moa, panel):
    login(client, moa)
    response, body = get(client, "/fhir/Patient", identifer="9")
    assert response.status_code == 400 and body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["expression"] == ["identifer"]
    response, body = get(client, "/fhir/Patient", identifier="http://example.org/mrn|123")
    assert response.status_code == 400 and "Unknown identifier system" in body["issue"][0]["diagnostics"]
    response, body = get(client, "/fhir/Patient", birthdate="17/05/1980")
    assert response.status_code == 400 and body["issue"][0]["expression"] == ["birthdate"]


def test_scope_outside_is_not_found_and_searches_see_nothing(client, provider, panel, other_coordinator):
    other_provider = ProviderFactory(clinic=ClinicFactory())
    stranger = panel_of(other_provider, 1)[0]
    login(client, other_coordinator)  # Victoria's coordinator: Kamloops' panels are not theirs
    response, body = get(client, f"/fhir/Patient/{panel[0].pk}")
    assert response.status_code == 404 and body["resourceType"] == "OperationOutcome"
    _, body = get(client, "/fhir/Patient", identifier=panel[0].phn)
    assert body["total"] == 0
    response, _ = get(client, f"/fhir/Group/{provider.pk}")
    assert response.status_code == 404
    assert get(client, f"/fhir/Patient/{stranger.pk}")[0].status_code == 404


def test_anonymous_callers_are_refused(client, panel):
    response, body = get(client, f"/fhir/Patient/{panel[0].pk}")
    assert response.status_code in (401, 403) and body["resourceType"] == "OperationOutcome"


def test_group_is_the_panel_with_the_practitioner_managing(client, coordinator, provider, panel):
    login(client, coordinator)
    response, group = get(client, f"/fhir/Group/{provider.pk}")
    assert response.status_code == 200
    assert group["managingEntity"]["reference"] == f"Practitioner/{provider.pk}"
    assert {m["entity"]["reference"] for m in group["member"]} == {f"Patient/{p.pk}" for p in panel}
    assert group["quantity"] == 3
    _, found = get(client, "/fhir/Group", **{"managing-entity": f"Practitioner/{provider.pk}",
                                             "_include": "Group:member"})
    assert found["total"] == 1
    included = [e for e in found["entry"] if e["search"]["mode"] == "include"]
    assert {e["resource"]["id"] for e in included} == {str(p.pk) for p in panel}
    assert_valid(found)


def test_directory_resources(client, coordinator, provider, clinic):
    login(client, coordinator)
    _, practitioner = get(client, f"/fhir/Practitioner/{provider.pk}")
    assert practitioner["identifier"][0]["value"] == provider.practitioner_number
    _, found = get(client, "/fhir/Practitioner",
                   identifier=f"{mapping.PRACTITIONER_SYSTEM}|{provider.practitioner_number}")
    assert found["total"] == 1
    _, org = get(client, f"/fhir/Organization/{clinic.pk}")
    assert org["name"] == clinic.name
    _, roles = get(client, "/fhir/PractitionerRole", practitioner=f"Practitioner/{provider.pk}")
    assert roles["entry"][0]["resource"]["organization"]["reference"] == f"Organization/{clinic.pk}"
    response, _ = get(client, "/fhir/Observation")
    assert response.status_code == 404
