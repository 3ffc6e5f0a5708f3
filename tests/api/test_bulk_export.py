"""FHIR bulk export: kick-off, progress, manifest, files (valid FHIR R4, the requester's alone), expiry."""

import datetime
import json

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from api.bulk import ndjson, services, tasks
from api.models import BulkExport
from attachment.core import roles
from attachment.core.models import AuditEvent
from registries.models import PanelEntry
from tests.api.conftest import bearer, register
from tests.conftest import login, until
from tests.factories import PatientFactory

GENDERS = {"male", "female", "other", "unknown"}
# Bulk Data requires the kick-off to ask for the asynchronous pattern.
ASYNC = {"HTTP_PREFER": "respond-async"}


def _strict(value, where="resource"):
    """FHIR JSON has no nulls and no empty arrays or objects (fhir.resources lets them through)."""
    assert value is not None and value != [] and value != {}, f"empty element at {where}"
    if isinstance(value, dict):
        for key, item in value.items():
            _strict(item, f"{where}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _strict(item, f"{where}[{n}]")


def parse_ndjson(content: bytes, resource_type: str):
    """Each line one FHIR R4 resource of the type, as fhir.resources (R4B package) models it."""
    model = get_fhir_model_class(resource_type)
    resources = []
    for line in content.decode().splitlines():
        data = json.loads(line)
        assert data["resourceType"] == resource_type
        _strict(data)
        resources.append(model.model_validate(data))
    return resources


def fetch_file(client, url, headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/fhir+ndjson"
    return b"".join(response.streaming_content)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_system_exports_its_panels_through_a_real_worker(celery_worker_real, media, client, api_world):
    provider = api_world["provider"]
    awkward = PatientFactory(first_name='Zoë "Q"', last_name="O'Brien\\Smith", gender="X", postal_code="V2C 1A1")
    PanelEntry.objects.create(provider=provider, patient=awkward, since=datetime.date(2022, 3, 4), source="upload")
    api_client, secret = register(roles.MOA, [provider], name="Riverside EMR")
    headers = bearer(client, api_client, secret)

    ndjson_type = "application/fhir+ndjson"
    kickoff = client.get("/fhir/$export", HTTP_PREFER="respond-async", HTTP_ACCEPT="application/fhir+json", **headers)
    assert kickoff.status_code == 202, kickoff.content
    status_url = kickoff["Content-Location"]
    assert "/fhir/bulk/" in status_url

    def finished():
        response = client.get(status_url, **headers)
        if response.status_code == 202:
            assert response["X-Progress"]
            return None
        return response

    manifest = until(finished, "the export to finish").json()
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    files = {o["type"]: o for o in manifest["output"]}
    assert set(files) == {"Patient", "Group", "Practitioner", "Organization"}

    # A file is asked for as the spec's default type (or with no Accept, below).
    patients = parse_ndjson(fetch_file(client, files["Patient"]["url"], {**headers, "HTTP_ACCEPT": ndjson_type}),
                            "Patient")
    assert files["Patient"]["count"] == len(patients) == 2  # the panel's two, none of another provider's
    by_id = {p.id: p for p in patients}
    zoe = by_id[str(awkward.pk)]
    assert zoe.name[0].given == ['Zoë "Q"'] and zoe.name[0].family == "O'Brien\\Smith"
    assert zoe.identifier[0].system == ndjson.PHN_SYSTEM and zoe.identifier[0].value == awkward.phn
    assert zoe.gender == "other" and zoe.address[0].postalCode == "V2C 1A1" and str(zoe.birthDate) == "1980-05-17"
    assert all(p.gender in GENDERS for p in patients)

    (group,) = parse_ndjson(fetch_file(client, files["Group"]["url"], headers), "Group")
    assert group.id == str(provider.pk) and group.actual is True and group.type == "person"
    assert group.managingEntity.reference == f"Practitioner/{provider.pk}" and group.quantity == 2
    assert {m.entity.reference for m in group.member} == {f"Patient/{pid}" for pid in by_id}

    (practitioner,) = parse_ndjson(fetch_file(client, files["Practitioner"]["url"], headers), "Practitioner")
    assert practitioner.identifier[0].value == provider.practitioner_number
    (organization,) = parse_ndjson(fetch_file(client, files["Organization"]["url"], headers), "Organization")
    assert organization.name == api_world["clinic"].name

    # The download is audited, naming the system.
    assert AuditEvent.objects.filter(action="export", user=api_client.user,
                                     summary__contains="API client Riverside EMR").count() >= 5
    # The files are the requester's alone: another clinic's MOA, even with the URL, finds nothing.
    login(client, api_world["other_moa"])
    assert client.get(status_url).status_code == 404
    assert client.get(files["Patient"]["url"]).status_code == 404


@pytest.mark.django_db
def test_type_and_since_choose_what_is_written(media, client, api_world, django_capture_on_commit_callbacks):
    provider = api_world["provider"]
    login(client, api_world["moa"])
    response = client.get(f"/fhir/Group/{provider.pk}/$export", {"_type": "Patient"}, **ASYNC)
    assert response.status_code == 202
    export = BulkExport.objects.get()
    assert client.get(response["Content-Location"])["X-Progress"] == "Queued"
    services.run_export(export.pk)
    manifest = client.get(response["Content-Location"]).json()
    assert [o["type"] for o in manifest["output"]] == ["Patient"]

    cut = timezone.now()
    newcomer = PatientFactory(first_name="New")
    PanelEntry.objects.create(provider=provider, patient=newcomer, since=datetime.date.today(), source="98990")
    since = client.get(f"/fhir/Group/{provider.pk}/$export",
                       {"_type": "Patient,Group", "_since": cut.isoformat().replace("+00:00", "Z")}, **ASYNC)
    export = BulkExport.objects.latest("created_at")
    services.run_export(export.pk)
    files = {o["type"]: o for o in client.get(since["Content-Location"]).json()["output"]}
    patients = parse_ndjson(fetch_file(client, files["Patient"]["url"], {}), "Patient")
    assert [p.id for p in patients] == [str(newcomer.pk)]
    (group,) = parse_ndjson(fetch_file(client, files["Group"]["url"], {}), "Group")
    assert group.quantity == 2  # a changed panel comes whole


@pytest.mark.django_db
def test_bad_requests_answer_an_operation_outcome_naming_the_parameter(client, api_world):
    login(client, api_world["moa"])
    for params, element in [({"_type": "Observation"}, "_type"), ({"_since": "yesterday"}, "_since"),
                            ({"_outputFormat": "text/csv"}, "_outputFormat")]:
        response = client.get("/fhir/$export", params, **ASYNC)
        assert response.status_code == 400
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["expression"] == [element]
        parse = get_fhir_model_class("OperationOutcome").model_validate(outcome)
        assert parse.issue[0].code == "invalid"
    far = client.get(f"/fhir/Group/{api_world['other_provider'].pk}/$export", **ASYNC)
    assert far.status_code == 404 and far.json()["resourceType"] == "OperationOutcome"
    assert not BulkExport.objects.exists()
    # A manager reads aggregates: no panel export.
    manager_client, secret = register(roles.MANAGER, [api_world["provider"].clinics.first().community.division])
    assert client.get("/fhir/$export", **ASYNC, **bearer(client, manager_client, secret)).status_code == 403


@pytest.mark.django_db
def test_files_expire_and_a_cancelled_export_is_deleted(media, client, api_world):
    login(client, api_world["moa"])
    url = client.get("/fhir/$export", **ASYNC)["Content-Location"]
    export = services.run_export(BulkExport.objects.get().pk)
    folder = services.directory(export)
    assert any(folder.iterdir())
    BulkExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert tasks.expire_bulk_exports() == 1
    assert not folder.exists() and BulkExport.objects.get().status == "expired"
    assert client.get(url).status_code == 404

    again = client.get("/fhir/$export", **ASYNC)["Content-Location"]
    second = services.run_export(BulkExport.objects.latest("created_at").pk)
    assert client.delete(again).status_code == 202
    assert client.get(again).status_code == 404
    assert BulkExport.objects.get(pk=second.pk).status == "cancelled"
    # A re-delivered task changes nothing for a finished or cancelled export.
    assert services.run_export(second.pk).status == "cancelled"


@pytest.mark.django_db
def test_an_empty_panel_is_a_valid_group_without_members(media, client, api_world):
    from registries.panels import entries

    entries.remove_patient(api_world["entry"], reason="Moved away")
    login(client, api_world["moa"])
    status_url = client.get(f"/fhir/Group/{api_world['provider'].pk}/$export", {"_type": "Group,Patient"}, **ASYNC)[
        "Content-Location"]
    services.run_export(BulkExport.objects.get().pk)
    output = client.get(status_url).json()["output"]
    assert [o["type"] for o in output] == ["Group"]  # no Patient file: nobody is on the panel
    (group,) = parse_ndjson(fetch_file(client, output[0]["url"], {}), "Group")
    assert group.quantity == 0 and group.member is None


@pytest.mark.django_db
def test_a_patient_without_a_phn_is_exported_without_an_identifier(media, client, api_world):
    """People merged from a local waitlist may have no PHN yet (patients 0010): their Patient
    has no identifier, as fhir/mapping.py leaves it out, never one with a null value."""
    provider = api_world["provider"]
    no_phn = PatientFactory(first_name="Noor", phn=None, postal_code="")
    with_address = PatientFactory(first_name="Otto", phn=None, postal_code="V2C 1A1")
    for patient in (no_phn, with_address):
        PanelEntry.objects.create(provider=provider, patient=patient, since=datetime.date(2024, 1, 1), source="98990")
    login(client, api_world["moa"])
    status_url = client.get(f"/fhir/Group/{provider.pk}/$export", {"_type": "Patient"}, **ASYNC)["Content-Location"]
    services.run_export(BulkExport.objects.get().pk)
    (output,) = client.get(status_url).json()["output"]
    content = fetch_file(client, output["url"], {})
    by_id = {r["id"]: r for r in map(json.loads, content.decode().splitlines())}
    parse_ndjson(content, "Patient")  # every line valid FHIR, no null anywhere
    assert "identifier" not in by_id[str(no_phn.pk)] and "address" not in by_id[str(no_phn.pk)]
    assert "identifier" not in by_id[str(with_address.pk)]
    assert by_id[str(with_address.pk)]["address"] == [{"postalCode": "V2C 1A1", "country": "CA"}]
    has_phn = by_id[str(api_world["patient"].pk)]
    assert has_phn["identifier"] == [{"system": ndjson.PHN_SYSTEM, "value": api_world["patient"].phn}]
