"""Panel pages: scope (MOA only for delegating providers), report, load decision, 98990, removal, coordinators."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attachment.core.models import AuditEvent
from registries.models import PanelConflict, PanelEntry, PanelUpload, WaitlistFlag
from tests.conftest import login
from tests.factories import ClinicFactory, PatientFactory, ProviderFactory, household
from tests.registries.conftest import good_rows, panel_csv, phn_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger_provider(db, kamloops):
    return ProviderFactory(clinic=ClinicFactory(community=kamloops))


def upload_file(client, provider, data, name="panel.csv"):
    return client.post(reverse("registries:upload_new", args=[provider.pk]),
                       {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_moa_uploads_only_for_delegating_providers(client, moa, provider, stranger_provider):
    login(client, moa)
    data = panel_csv(good_rows(phn_list(2)))
    assert upload_file(client, stranger_provider, data).status_code == 404
    assert not PanelUpload.objects.exists()
    for name in ("registries:panel", "registries:panel_add"):
        assert client.get(reverse(name, args=[stranger_provider.pk])).status_code == 404
    response = upload_file(client, provider, data)
    upload = PanelUpload.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("registries:upload", args=[upload.pk])


def test_moa_cannot_open_another_providers_upload(client, moa, stranger_provider):
    from registries.panels import uploads

    upload = uploads.create_upload(stranger_provider, data=panel_csv(good_rows(phn_list(1))), file_name="x.csv")
    login(client, moa)
    assert client.get(reverse("registries:upload", args=[upload.pk])).status_code == 404
    assert client.post(reverse("registries:upload_load", args=[upload.pk])).status_code == 404


def test_report_shows_bad_rows_then_load_is_queued(client, moa, provider, django_capture_on_commit_callbacks):
    login(client, moa)
    phns = phn_list(3)
    data = panel_csv(good_rows(phns) + ["12345,Bad,Phn,1980-01-01,,,", f"{phns[1]},Dup,Row,1980-01-01,,,"])
    upload_file(client, provider, data)
    upload = PanelUpload.objects.get()
    page = client.get(reverse("registries:upload", args=[upload.pk])).content.decode()
    assert 'data-testid="rows-read">5<' in page and 'data-testid="rows-valid">3<' in page
    assert "<td class=\"num\">5</td><td>phn</td><td>A Personal Health Number has 10 digits.</td>" in page
    assert "The same PHN is on line 3." in page
    assert not PanelEntry.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("registries:upload_load", args=[upload.pk]))
    assert len(callbacks) == 1
    upload.refresh_from_db()
    assert upload.status == "loading"
    fragment = client.get(reverse("registries:upload_progress", args=[upload.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "<progress" in fragment


def test_cancel_writes_nothing(client, moa, provider):
    login(client, moa)
    upload_file(client, provider, panel_csv(good_rows(phn_list(2))))
    upload = PanelUpload.objects.get()
    client.post(reverse("registries:upload_cancel", args=[upload.pk]))
    upload.refresh_from_db()
    assert upload.status == "cancelled" and not PanelEntry.objects.exists()


def test_add_one_patient_98990_and_remove_with_reason(client, moa, provider):
    login(client, moa)
    phn = phn_list(1, start=50_000_000)[0]
    url = reverse("registries:panel_add", args=[provider.pk])
    bad = client.post(url, {"phn": "9123456780", "last_name": "", "first_name": "A", "date_of_birth": "1990-02-30"})
    assert bad.status_code == 200 and "error-summary" in bad.content.decode()
    response = client.post(url, {"phn": f"{phn[:4]} {phn[4:7]} {phn[7:]}", "last_name": "Ames", "first_name": "Ann",
                                 "date_of_birth": "1990-02-03", "postal_code": "v2c1a1"})
    assert response.status_code == 302
    entry = PanelEntry.objects.get(patient__phn=phn)
    assert entry.source == "98990" and entry.provider == provider and entry.patient.postal_code == "V2C 1A1"
    assert AuditEvent.objects.filter(object_type="registries.PanelEntry", object_id=str(entry.pk), action="create").exists()
    remove_url = reverse("registries:panel_remove", args=[entry.pk])
    assert client.post(remove_url, {"reason": "other", "detail": ""}).status_code == 200
    client.post(remove_url, {"reason": "Moved away", "detail": "to Alberta"})
    entry.refresh_from_db()
    assert entry.ended_at is not None and entry.end_reason == "Moved away: to Alberta"
    assert AuditEvent.objects.filter(object_id=str(entry.pk), action="update", reason="Moved away: to Alberta").exists()


def test_adding_a_patient_on_another_panel_creates_a_conflict_not_a_move(client, moa, provider, stranger_provider):
    patient = PatientFactory()
    PanelEntry.objects.create(patient=patient, provider=stranger_provider, since="2020-01-01", source="attach")
    login(client, moa)
    client.post(reverse("registries:panel_add", args=[provider.pk]), {
        "phn": patient.phn, "last_name": patient.last_name, "first_name": patient.first_name, "date_of_birth": "1980-05-17"})
    assert PanelConflict.objects.filter(patient=patient, claiming_provider=provider).exists()
    assert PanelEntry.objects.get(patient=patient, ended_at__isnull=True).provider == stranger_provider


def test_panel_search_and_keyset_pages(client, moa, provider):
    for i in range(55):
        PanelEntry.objects.create(patient=PatientFactory(last_name=f"Name{i:03d}", first_name="X"), provider=provider,
                                  since="2024-01-01", source="upload")
    login(client, moa)
    url = reverse("registries:panel", args=[provider.pk])
    first = client.get(url)
    assert first.context["panel_size"] == 55 and len(first.context["rows"]) == 50
    second = client.get(url, {"after": first.context["next_cursor"]})
    assert [e.patient.last_name for e in second.context["rows"]] == [f"Name{i:03d}" for i in range(50, 55)]
    assert second.context["next_cursor"] is None
    found = client.get(url, {"q": "name007"}).context["rows"]
    assert [e.patient.last_name for e in found] == ["Name007"]
    assert AuditEvent.objects.filter(object_type="providers.Provider", action="search", reason="name007").exists()


def test_panel_search_by_phn_prefix_and_whole_phn(client, moa, provider):
    a, b, c = sorted(phn_list(3))
    for phn in (a, b, c):
        PanelEntry.objects.create(patient=PatientFactory(phn=phn), provider=provider, since="2024-01-01", source="upload")
    login(client, moa)
    url = reverse("registries:panel", args=[provider.pk])

    def found(q):
        return sorted(e.patient.phn for e in client.get(url, {"q": q}).context["rows"])

    assert found(b) == [b]
    assert found(f"{b[:4]} {b[4:7]} {b[7:]}") == [b]
    assert found(b[:9]) == sorted(p for p in (a, b, c) if p.startswith(b[:9]))
    assert found(a[:3]) == sorted(p for p in (a, b, c) if p.startswith(a[:3]))
    assert found("8") == []


def test_coordinators_see_conflicts_and_flags_of_their_division_only(client, coordinator, other_coordinator, provider, stranger_provider):
    from registries.panels import load, uploads

    patient = PatientFactory()
    PanelEntry.objects.create(patient=patient, provider=stranger_provider, since="2020-01-01", source="attach")
    member = household(1).members.get()
    upload = uploads.create_upload(provider, data=panel_csv([
        f"{patient.phn},{patient.last_name},{patient.first_name},1980-05-17,,,",
        f"{member.phn},{member.last_name},{member.first_name},1980-05-17,,,",
    ]), file_name="p.csv")
    PanelUpload.objects.filter(pk=upload.pk).update(status="loading")
    load.load_upload(upload.pk)
    conflict, flag = PanelConflict.objects.get(), WaitlistFlag.objects.get()
    login(client, other_coordinator)
    assert conflict.patient.phn not in client.get(reverse("registries:conflicts")).content.decode()
    assert client.post(reverse("registries:conflict_resolve", args=[conflict.pk]), {"resolution": "moved"}).status_code == 404
    assert member.phn not in client.get(reverse("registries:flags")).content.decode()
    client.logout()
    login(client, coordinator)
    assert patient.phn in client.get(reverse("registries:conflicts")).content.decode()
    assert member.phn in client.get(reverse("registries:flags")).content.decode()
    client.post(reverse("registries:conflict_resolve", args=[conflict.pk]), {"resolution": "moved", "note": "asked patient"})
    assert PanelEntry.objects.get(patient=patient, ended_at__isnull=True).provider == provider
    assert PanelEntry.objects.filter(patient=patient, provider=stranger_provider).get().end_reason.startswith("Moved to")
    client.post(reverse("registries:flag_resolve", args=[flag.pk]), {"note": "already attached"})
    flag.refresh_from_db()
    assert flag.resolved_at and flag.resolution_note == "already attached"
    page = client.get(reverse("registries:division"))
    assert page.status_code == 200 and len(page.context["rows"]) == 2


def test_clinic_roles_cannot_see_coordinator_pages(client, moa):
    login(client, moa)
    assert client.get(reverse("registries:conflicts")).status_code == 403
    assert client.get(reverse("registries:division")).status_code == 403


def test_coordinators_read_panels_and_profiles_of_their_division_only(client, coordinator, other_coordinator, provider):
    login(client, coordinator)
    assert client.get(reverse("registries:panel", args=[provider.pk])).status_code == 200
    assert client.get(reverse("providers:provider", args=[provider.pk])).status_code == 200
    assert client.get(reverse("registries:panel_add", args=[provider.pk])).status_code == 403  # reading is not acting
    client.logout()
    login(client, other_coordinator)
    assert client.get(reverse("registries:panel", args=[provider.pk])).status_code == 404
    assert client.get(reverse("providers:provider", args=[provider.pk])).status_code == 404


def test_adding_a_phn_in_another_scripts_digits_is_refused_in_words_not_a_crash(client, moa, provider):
    phn = phn_list(1, start=50_100_000)[0]
    arabic_indic = "9" + "".join(chr(0x0660 + int(d)) for d in phn[1:])
    response = login(client, moa).post(reverse("registries:panel_add", args=[provider.pk]), {
        "phn": arabic_indic, "last_name": "Joe", "first_name": "Ming", "date_of_birth": "1990-02-03",
    })
    assert response.status_code == 200 and "has 10 digits" in response.content.decode()
    assert not PanelEntry.objects.exists()
