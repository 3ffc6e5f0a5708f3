"""Each role and each API client sees through the API exactly its scope: by list, and by id (else 404)."""

import pytest

from attachment.core import roles
from reports.services import build_snapshots
from tests.api.conftest import bearer, register
from tests.conftest import login

pytestmark = pytest.mark.django_db


def ids(response, key="id"):
    assert response.status_code == 200, response.content
    return {row[key] for row in response.json()["results"]}


def as_person(client, user):
    login(client, user)
    return {}


def as_system(client, role, scope):
    api_client, secret = register(role, scope)
    return bearer(client, api_client, secret)


@pytest.fixture(params=["person", "system"])
def coordinator_headers(request, client, api_world, thompson):
    if request.param == "person":
        return as_person(client, api_world["coordinator"])
    return as_system(client, roles.COORDINATOR, [thompson])


@pytest.fixture(params=["person", "system"])
def clinic_headers(request, client, api_world):
    if request.param == "person":
        return as_person(client, api_world["moa"])
    return as_system(client, roles.MOA, [api_world["provider"]])


def test_registrations_of_the_coordinators_divisions_only(client, api_world, coordinator_headers):
    mine, theirs = api_world["registration"], api_world["other_registration"]
    listed = ids(client.get("/api/v1/registrations/", **coordinator_headers))
    assert mine.pk in listed and theirs.pk not in listed
    assert client.get(f"/api/v1/registrations/{mine.pk}/", **coordinator_headers).status_code == 200
    assert client.get(f"/api/v1/registrations/{theirs.pk}/", **coordinator_headers).status_code == 404


def test_a_clinic_cannot_read_the_waitlist(client, api_world, clinic_headers):
    assert client.get("/api/v1/registrations/", **clinic_headers).status_code == 403


def test_providers_read_by_coordinators_and_the_clinic(client, api_world, coordinator_headers):
    mine, far = api_world["provider"], api_world["other_provider"]
    listed = ids(client.get("/api/v1/providers/", **coordinator_headers))
    assert mine.pk in listed and far.pk not in listed
    assert client.get(f"/api/v1/providers/{mine.pk}/capacity/", **coordinator_headers).json()["open_capacity"] >= 0
    assert client.get(f"/api/v1/providers/{far.pk}/", **coordinator_headers).status_code == 404
    assert client.get(f"/api/v1/providers/{far.pk}/capacity/", **coordinator_headers).status_code == 404


def test_capacity_is_declared_by_the_provider_and_delegates_only(client, api_world, clinic_headers):
    mine, far = api_world["provider"], api_world["other_provider"]
    body = {"accepting": True, "new_patients": 7, "complexity": "moderate"}
    import json

    declared = client.post(f"/api/v1/providers/{mine.pk}/capacity/", json.dumps(body),
                           content_type="application/json", **clinic_headers)
    assert declared.status_code == 201, declared.content
    assert declared.json()["open_capacity"] == 7 and declared.json()["declaration"]["new_patients"] == 7
    assert client.post(f"/api/v1/providers/{far.pk}/capacity/", json.dumps(body), content_type="application/json",
                       **clinic_headers).status_code == 404


def test_a_coordinator_reads_capacity_but_does_not_declare_it(client, api_world, coordinator_headers):
    import json

    response = client.post(f"/api/v1/providers/{api_world['provider'].pk}/capacity/",
                           json.dumps({"accepting": True, "new_patients": 1}), content_type="application/json",
                           **coordinator_headers)
    assert response.status_code == 403


def test_panels_in_scope_by_list_and_by_id(client, api_world, clinic_headers):
    mine, far = api_world["provider"], api_world["other_provider"]
    assert ids(client.get("/api/v1/panels/", **clinic_headers)) == {mine.pk}
    entries = client.get(f"/api/v1/panels/{mine.pk}/entries/", **clinic_headers)
    assert ids(entries) == {api_world["entry"].pk}
    assert entries.json()["results"][0]["patient"]["phn"] == api_world["patient"].phn
    assert client.get(f"/api/v1/panels/{far.pk}/", **clinic_headers).status_code == 404
    assert client.get(f"/api/v1/panels/{far.pk}/entries/", **clinic_headers).status_code == 404


def test_a_coordinator_reads_the_panels_of_their_division(client, api_world, coordinator_headers):
    listed = ids(client.get("/api/v1/panels/", **coordinator_headers))
    assert api_world["provider"].pk in listed and api_world["other_provider"].pk not in listed


def test_offers_of_the_providers_the_clinic_acts_for(client, api_world, clinic_headers):
    offer = api_world["offer"]
    assert offer.pk in ids(client.get("/api/v1/offers/", **clinic_headers))
    detail = client.get(f"/api/v1/offers/{offer.pk}/", **clinic_headers)
    assert detail.status_code == 200 and detail.json()["household"]["reference_code"] == offer.registration.reference_code
    login(client, api_world["other_moa"])
    assert offer.pk not in ids(client.get("/api/v1/offers/"))
    assert client.get(f"/api/v1/offers/{offer.pk}/").status_code == 404
    assert client.post(f"/api/v1/offers/{offer.pk}/accept/").status_code == 404


def test_runs_and_proposals_in_the_coordinators_divisions(client, api_world, coordinator_headers):
    mine, theirs = api_world["run"], api_world["other_run"]
    listed = ids(client.get("/api/v1/runs/", **coordinator_headers))
    assert mine.pk in listed and theirs.pk not in listed
    assert client.get(f"/api/v1/runs/{mine.pk}/", **coordinator_headers).status_code == 200
    assert client.get(f"/api/v1/runs/{theirs.pk}/", **coordinator_headers).status_code == 404
    assert client.get(f"/api/v1/runs/{theirs.pk}/proposals/", **coordinator_headers).status_code == 404


def test_a_run_is_started_only_in_the_coordinators_divisions(client, api_world, coordinator_headers,
                                                             other_division, thompson, django_capture_on_commit_callbacks):
    import json

    refused = client.post("/api/v1/runs/", json.dumps({"division": other_division.pk}),
                          content_type="application/json", **coordinator_headers)
    assert refused.status_code == 400 and "division" in refused.json()["error"]["fields"]
    started = client.post("/api/v1/runs/", json.dumps({"division": thompson.pk}), content_type="application/json",
                          **coordinator_headers)
    assert started.status_code == 202 and started.json()["status"] == "queued"


@pytest.fixture(params=["person", "system"])
def manager_headers(request, client, manager, thompson):
    if request.param == "person":
        return as_person(client, manager)
    return as_system(client, roles.MANAGER, [thompson])


def test_report_figures_of_the_managers_divisions_only(client, api_world, manager_headers, thompson, other_division):
    build_snapshots([thompson.pk])
    response = client.get("/api/v1/reports/", {"division": thompson.pk}, **manager_headers)
    assert response.status_code == 200, response.content
    assert response.json()["division"] == thompson.pk and response.json()["reports"]
    assert client.get("/api/v1/reports/", {"division": other_division.pk}, **manager_headers).status_code == 404
    # A manager reads aggregates, never a person's record.
    assert client.get("/api/v1/registrations/", **manager_headers).status_code == 403


def test_the_panel_pages_rows_are_what_the_serializer_would_write(api_world):
    from api.serializers import PanelEntrySerializer, panel_entry_rows
    from registries.models import PanelEntry
    from registries.panels.selectors import open_entries_page

    api_world["entry"].last_visit = api_world["entry"].since
    api_world["entry"].save()
    entries = list(PanelEntry.objects.filter(ended_at__isnull=True).select_related("patient").order_by("provider", "id"))
    rows = [row for provider_id in dict.fromkeys(e.provider_id for e in entries)
            for row in open_entries_page(provider_id, ("TRUE", []), size=1000)[0]]
    assert len(rows) == len(entries) >= 2
    assert panel_entry_rows(rows) == PanelEntrySerializer(entries, many=True).data


@pytest.mark.parametrize("who", ["person", "system"])
def test_a_clinic_lead_reads_the_clinics_providers_but_not_their_panels(client, api_world, who):
    from tests.factories import UserFactory

    clinic, provider = api_world["clinic"], api_world["provider"]
    if who == "person":
        lead = UserFactory(username="lead")
        roles.grant_clinic(lead, clinic)
        headers = as_person(client, lead)
    else:
        headers = as_system(client, roles.CLINIC_LEAD, [clinic])
    assert ids(client.get("/api/v1/providers/", **headers)) == {provider.pk}
    assert client.get(f"/api/v1/providers/{api_world['other_provider'].pk}/", **headers).status_code == 404
    assert ids(client.get("/api/v1/panels/", **headers)) == set()
    assert client.get(f"/api/v1/panels/{provider.pk}/entries/", **headers).status_code == 404
    assert ids(client.get("/api/v1/offers/", **headers)) == set()
