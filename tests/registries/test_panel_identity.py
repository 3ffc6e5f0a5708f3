"""Issue 16.2 and 16.5: a panel row is not trusted on its PHN alone, and the clinic learns nothing
about people outside its panels.

A row (or a single addition) whose name or date of birth disagree with the registry's for that
PHN is a conflict for a coordinator, shown side by side (the file's values beside the
registry's), never loaded; names compare without case, accents or white space, dates exactly.
"""

import datetime
import json

import pytest
from django.urls import reverse

from attachment.core.models import AuditEvent
from patients.models import Patient
from registries.models import PanelConflict, PanelEntry, PanelUpload, WaitlistFlag
from registries.panels import load, uploads
from tests.conftest import login
from tests.factories import ClinicFactory, PatientFactory, ProviderFactory, household
from tests.registries.conftest import good_rows, panel_csv, phn_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def ming_joe():
    return PatientFactory(first_name="Ming", last_name="Joe", date_of_birth=datetime.date(1971, 4, 3))


@pytest.fixture
def other_provider(kamloops):
    return ProviderFactory(clinic=ClinicFactory(community=kamloops), first_name="Olive", last_name="Otherdoc")


def checked_and_loaded(provider, data, by):
    upload = uploads.create_upload(provider, data=data, file_name="p.csv", by=by)
    PanelUpload.objects.filter(pk=upload.pk).update(status=PanelUpload.Status.LOADING)
    return upload, load.load_upload(upload.pk)


def test_a_row_with_another_persons_name_and_date_of_birth_is_a_conflict_not_an_entry(client, provider, moa,
                                                                                        coordinator, ming_joe):
    new = phn_list(2, start=45_000_000)
    data = panel_csv(good_rows(new) + [f"{ming_joe.phn},Registrant,Mallory,1999-09-09,F,,2025-02-01"])
    upload, loaded = checked_and_loaded(provider, data, moa)
    # The check says the row needs review, and nothing of what the registry holds.
    assert upload.report["conflict_count"] == 1
    assert upload.report["conflicts"] == [{"line": 4, "phn": ming_joe.phn}]
    assert "Ming" not in json.dumps(upload.report) and "Joe" not in json.dumps(upload.report)
    # The load adds the other rows, not Ming Joe, and changes nothing about him.
    assert loaded.rows_loaded == 2 and loaded.report["load"]["new_conflicts"] == 1
    assert not PanelEntry.objects.filter(patient=ming_joe).exists()
    ming_joe.refresh_from_db()
    assert (ming_joe.first_name, ming_joe.last_name, ming_joe.date_of_birth) == ("Ming", "Joe", datetime.date(1971, 4, 3))
    conflict = PanelConflict.objects.get()
    assert (conflict.kind, conflict.existing_entry, conflict.upload_id) == ("identity", None, upload.pk)
    assert (conflict.claimed_first_name, conflict.claimed_last_name, conflict.claimed_date_of_birth) == (
        "Mallory", "Registrant", datetime.date(1999, 9, 9))

    # The coordinator sees the file's values beside the registry's.
    html = login(client, coordinator).get(reverse("registries:conflicts")).content.decode()
    registry_cell = html.split(f'data-testid="registry-{conflict.pk}">')[1].split("</td>")[0]
    claimed_cell = html.split(f'data-testid="claimed-{conflict.pk}">')[1].split("</td>")[0]
    assert "Joe, Ming" in registry_cell and "1971-04-03" in registry_cell
    assert "Registrant, Mallory" in claimed_cell and "1999-09-09" in claimed_cell
    client.post(reverse("registries:conflict_resolve", args=[conflict.pk]), {"resolution": "rejected", "note": "typo"})
    conflict.refresh_from_db()
    assert conflict.resolution == "rejected" and not PanelEntry.objects.filter(patient=ming_joe).exists()


def test_confirmed_as_the_same_person_the_claim_goes_ahead(provider, moa, coordinator, ming_joe):
    checked_and_loaded(provider, panel_csv([f"{ming_joe.phn},Joe,Min,1971-04-03,,,"]), moa)
    from registries.panels import review

    conflict = PanelConflict.objects.get()
    review.resolve_conflict(conflict, resolution="confirmed", note="nickname", by=coordinator)
    assert PanelEntry.objects.get(patient=ming_joe, ended_at__isnull=True).provider == provider
    with pytest.raises(Exception, match="Choose how"):
        review.resolve_conflict(PanelConflict.objects.create(
            kind="identity", patient=PatientFactory(), claiming_provider=provider), resolution="moved", by=coordinator)


def test_names_compare_without_case_accents_or_spaces_and_dates_exactly(provider, moa):
    chloe = PatientFactory(first_name="Chloé", last_name="Van der Berg", date_of_birth=datetime.date(1990, 1, 2))
    one_day_off = PatientFactory(first_name="Raj", last_name="Gill", date_of_birth=datetime.date(1981, 1, 1))
    data = panel_csv([f"{chloe.phn},VANDERBERG,  chloe ,1990-01-02,,,",
                      f"{one_day_off.phn},Gill,Raj,1981-01-02,,,"])
    upload, loaded = checked_and_loaded(provider, data, moa)
    assert upload.report["conflicts"] == [{"line": 3, "phn": one_day_off.phn}]
    assert loaded.rows_loaded == 1 and PanelEntry.objects.get().patient == chloe
    assert PanelConflict.objects.get().patient == one_day_off


def test_a_mismatched_row_does_not_flag_a_waitlisted_person_or_move_a_last_visit(provider, moa):
    member = household(1).members.get()
    entry_patient = PatientFactory(first_name="Keep", last_name="Me")
    entry = PanelEntry.objects.create(patient=entry_patient, provider=provider, since="2020-01-01", source="attach",
                                      last_visit="2025-05-01")
    data = panel_csv([f"{member.phn},Else,Someone,1980-05-17,,,",
                      f"{entry_patient.phn},Other,Name,1980-05-17,,,2026-01-02"])
    checked_and_loaded(provider, data, moa)
    entry.refresh_from_db()
    assert str(entry.last_visit) == "2025-05-01" and not WaitlistFlag.objects.exists()
    assert set(PanelConflict.objects.values_list("kind", flat=True)) == {"identity"}
    assert PanelConflict.objects.count() == 2


def test_the_clinic_learns_only_that_rows_need_review(client, provider, moa, other_provider, ming_joe):
    """A check-only upload of arbitrary PHNs: no other provider, no name, no waitlist count."""
    PanelEntry.objects.create(patient=ming_joe, provider=other_provider, since="2020-01-01", source="attach")
    waiting = household(1).members.get()
    data = panel_csv([f"{ming_joe.phn},Joe,Ming,1971-04-03,,,",  # the same person, on another panel
                      f"{waiting.phn},{waiting.last_name},{waiting.first_name},1980-05-17,,,"])
    login(client, moa).post(reverse("registries:upload_new", args=[provider.pk]),
                            {"file": _file(data)})
    upload = PanelUpload.objects.get()
    assert "on_waitlist" not in upload.report and upload.report["conflict_count"] == 1
    page = client.get(reverse("registries:upload", args=[upload.pk])).content.decode()
    assert 'data-testid="rows-review">1<' in page
    for secret in ("Otherdoc", "Olive", "waitlist", waiting.last_name):
        assert secret not in page, secret
    event = AuditEvent.objects.get(object_type="registries.PanelUpload", action="create")
    assert "2 rows read" in event.summary


def test_adding_a_patient_with_a_wrong_date_of_birth_says_only_needs_review_and_is_audited(client, provider, moa,
                                                                                           ming_joe):
    response = login(client, moa).post(reverse("registries:panel_add", args=[provider.pk]), {
        "phn": ming_joe.phn, "last_name": "Joe", "first_name": "Ming", "date_of_birth": "1971-04-04",
    }, follow=True)
    html = response.content.decode()
    assert "This patient needs an attachment coordinator" in html
    assert "does not match" not in html and "in the registry" not in html
    conflict = PanelConflict.objects.get()
    assert (conflict.kind, conflict.claimed_date_of_birth) == ("identity", datetime.date(1971, 4, 4))
    assert not PanelEntry.objects.exists() and Patient.objects.get(pk=ming_joe.pk).date_of_birth == datetime.date(1971, 4, 3)
    assert AuditEvent.objects.filter(object_type="registries.PanelConflict", action="create").exists()


def test_adding_someone_on_another_panel_gets_the_same_answer_and_no_waitlist_word(client, provider, moa,
                                                                                   other_provider):
    member = household(1).members.get()
    PanelEntry.objects.create(patient=member, provider=other_provider, since="2020-01-01", source="attach")
    response = login(client, moa).post(reverse("registries:panel_add", args=[provider.pk]), {
        "phn": member.phn, "last_name": member.last_name, "first_name": member.first_name,
        "date_of_birth": str(member.date_of_birth),
    }, follow=True)
    html = response.content.decode()
    assert "review" in html and "waitlist" not in html and "another provider" not in html
    assert WaitlistFlag.objects.filter(patient=member).exists()  # the coordinators are told


def test_checks_of_phns_are_rate_limited_per_user(client, provider, moa, settings):
    settings.ATTACH_PANEL_CHECK_RATE = "2/h"
    login(client, moa)
    url = reverse("registries:panel_add", args=[provider.pk])
    phns = phn_list(3, start=46_000_000)
    for phn in phns[:2]:
        assert client.post(url, {"phn": phn, "last_name": "A", "first_name": "B", "date_of_birth": "1990-01-01"}
                           ).status_code == 302
    refused = client.post(url, {"phn": phns[2], "last_name": "A", "first_name": "B", "date_of_birth": "1990-01-01"})
    assert refused.status_code == 429 and "Try again later" in refused.content.decode()
    assert PanelEntry.objects.count() == 2
    upload = client.post(reverse("registries:upload_new", args=[provider.pk]),
                         {"file": _file(panel_csv(good_rows(phn_list(1, start=47_000_000))))})
    assert upload.status_code == 429 and not PanelUpload.objects.exists()
    assert AuditEvent.objects.filter(summary__startswith="Panel check refused").count() == 2


def _file(data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("panel.csv", data, content_type="text/csv")
