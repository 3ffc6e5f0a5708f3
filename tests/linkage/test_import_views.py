"""The coordinators' pages: scope (their own division only), the upload and report, review and undo."""

import datetime

import pytest
from django.urls import reverse

from attachment.core import access
from linkage.models import ImportRow, WaitlistImport
from tests.conftest import login
from tests.linkage.conftest import imported, local_csv, registration_of, waiting_person

pytestmark = pytest.mark.django_db
PHN = "9234567897"


@pytest.fixture
def ana():
    return waiting_person(last_name="Lopez", first_name="Ana", dob=datetime.date(1985, 3, 2), phn=PHN)


def upload_file(client, division, data, name="local.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("linkage:imports"), {"division": division.pk,
                                                    "file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_a_coordinator_checks_a_file_and_reads_the_report(client, coordinator, thompson):
    login(client, coordinator)
    response = upload_file(client, thompson, local_csv(
        "L1,,Lopez,Ana,1985-03-02,,F,,,,Kamloops,2019-05-01,", "L2,,Wong,Amy,1990-01-01,,F,,,,Atlantis,2020-01-01,"))
    upload = WaitlistImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("linkage:import", args=[upload.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Atlantis" in page and "Import the 1 good row" in page


def test_a_coordinator_cannot_import_into_another_division(client, coordinator, other_division):
    login(client, coordinator)
    response = upload_file(client, other_division, local_csv("L1,,Lopez,Ana,1985-03-02,,F,,,,Victoria,2019-05-01,"))
    assert response.status_code == 200 and not WaitlistImport.objects.exists()
    assert "Select a valid choice" in response.content.decode()


def test_rows_of_another_division_are_refused_in_the_file(coordinator, thompson):
    from linkage import imports

    result, report = imports.check_file(thompson, local_csv("L1,,Lopez,Ana,1985-03-02,,F,,,,Victoria,2019-05-01,"))
    assert result.rows_valid == 0 and report["errors"][0]["column"] == "community"


def test_another_divisions_coordinator_sees_nothing_of_the_import(client, coordinator, other_coordinator, thompson, ana):
    upload = imported(thompson, coordinator, local_csv(f"L1,,Lopez,Ana,1985-03-02,{PHN},F,,,,Kamloops,2019-05-01,"))
    row = ImportRow.objects.get(upload=upload)
    login(client, other_coordinator)
    for url in [reverse("linkage:import", args=[upload.pk]), reverse("linkage:import_rows", args=[upload.pk]),
                reverse("linkage:import_progress", args=[upload.pk]), reverse("linkage:review", args=[row.pk]),
                reverse("linkage:undo", args=[row.pk])]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("linkage:undo", args=[row.pk])).status_code == 404
    assert client.post(reverse("linkage:import_run", args=[upload.pk])).status_code == 404
    assert access.coordinator_imports(other_coordinator).count() == 0
    assert access.coordinator_import_rows(other_coordinator).count() == 0
    queue = client.get(reverse("linkage:queue")).content.decode()
    assert "Lopez" not in queue


def test_other_roles_are_refused(client, moa, thompson):
    login(client, moa)
    assert client.get(reverse("linkage:imports")).status_code == 403
    assert client.get(reverse("linkage:queue")).status_code == 403


def test_undo_through_the_page(client, coordinator, thompson, ana):
    original = registration_of(ana).registered_at
    upload = imported(thompson, coordinator, local_csv(f"L1,,Lopez,Ana,1985-03-02,{PHN},F,,,,Kamloops,2019-05-01,"))
    row = ImportRow.objects.get(upload=upload)
    login(client, coordinator)
    assert "goes back to waiting since" in client.get(reverse("linkage:undo", args=[row.pk])).content.decode()
    response = client.post(reverse("linkage:undo", args=[row.pk]), {"note": "wrong person"})
    assert response.status_code == 302
    assert registration_of(ana).registered_at == original
    assert ImportRow.objects.get(pk=row.pk).outcome == "pending"


def test_the_report_shows_the_figures_and_review_outcomes(client, coordinator, thompson, ana):
    upload = imported(thompson, coordinator, local_csv(
        f"L1,,Lopez,Ana,1985-03-02,{PHN},F,,,,Kamloops,2019-05-01,", "L2,,Okafor,Chidi,1979-11-11,,M,,,,Kamloops,2022-06-01,"))
    login(client, coordinator)
    page = client.get(reverse("linkage:import", args=[upload.pk])).content.decode()
    assert 'data-testid="n-merged">1<' in page and 'data-testid="n-registered">1<' in page
    assert "The coordinators&#x27; reviews" in page or "The coordinators' reviews" in page


def test_a_registration_from_a_local_list_without_a_phn_opens_and_the_phn_can_be_added(client, coordinator, thompson):
    upload = imported(thompson, coordinator, local_csv("L1,,Okafor,Chidi,1979-11-11,,M,,,,Kamloops,2022-06-01,"))
    registration = ImportRow.objects.get(upload=upload).registration
    login(client, coordinator)
    page = client.get(reverse("patients:registration", args=[registration.pk])).content.decode()
    assert "not known yet" in page
    assert client.get(reverse("patients:edit", args=[registration.pk])).status_code == 200


def test_a_candidate_outside_the_division_is_shown_without_contact_details(client, coordinator, thompson, ana):
    elsewhere = waiting_person(last_name="Lopez", first_name="Anna", dob=datetime.date(1985, 3, 2), place="Victoria",
                               phone="250-555-0177", email="anna.elsewhere@example.org")
    upload = imported(thompson, coordinator, local_csv("Q1,,Okafor,Chidi,1979-11-11,,M,,,,Kamloops,2022-06-01,"))
    row = ImportRow.objects.create(
        upload=upload, division=thompson, line=9, list_id="R9", last_name="Lopez", first_name="A",
        date_of_birth=datetime.date(1985, 3, 2), community=ana.registration.community, listed_on=datetime.date(2019, 1, 1),
        row_hash="9" * 64, decision="review",
        candidates=[{"person": ana.pk, "score": 0.6, "evidence": ["first name an initial (A / Ana)"]},
                    {"person": elsewhere.pk, "score": 0.5, "evidence": ["first name an initial (A / Anna)"]}])
    login(client, coordinator)
    page = client.get(reverse("linkage:review", args=[row.pk])).content.decode()
    assert "ana.lopez@example.org" in page  # in the coordinator's division
    assert "anna.elsewhere@example.org" not in page and "250-555-0177" not in page
    assert 'data-testid="outside-scope"' in page


def test_a_person_without_a_phn_is_a_fhir_patient_without_an_identifier(coordinator, thompson):
    from fhir import mapping
    from patients.models import Patient

    upload = imported(thompson, coordinator, local_csv("L1,,Okafor,Chidi,1979-11-11,,M,,,,Kamloops,2022-06-01,"))
    person = Patient.objects.get(pk=ImportRow.objects.get(upload=upload).person_id)
    resource = mapping.patient(person)
    assert "identifier" not in resource and resource["name"][0]["family"] == "Okafor"
