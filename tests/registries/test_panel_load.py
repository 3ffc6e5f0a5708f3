"""Bulk panel load: one transaction of set-based SQL, idempotent, conflicts and waitlist flags."""

import pytest
from django.db import connection

from attachment.core.models import AuditEvent
from patients.models import Patient, Registration
from registries.models import PanelConflict, PanelEntry, PanelUpload, WaitlistFlag
from registries.panels import PanelError, load, uploads
from tests.factories import PatientFactory, ProviderFactory, household
from tests.registries.conftest import good_rows, panel_csv, phn_list

pytestmark = pytest.mark.django_db


def checked_and_loading(provider, data, by=None):
    upload = uploads.create_upload(provider, data=data, file_name="panel.csv", by=by)
    PanelUpload.objects.filter(pk=upload.pk).update(status=PanelUpload.Status.LOADING)
    return upload


def state():
    return (
        Patient.objects.count(),
        sorted(PanelEntry.objects.values_list("patient_id", "provider_id", "ended_at", "last_visit")),
        PanelConflict.objects.count(),
        WaitlistFlag.objects.count(),
    )


def test_file_with_bom_and_crlf_loads(provider, moa, django_capture_on_commit_callbacks):
    phns = phn_list(3)
    data = panel_csv(good_rows(phns), eol="\r\n", bom=True)
    upload = checked_and_loading(provider, data, by=moa)
    assert (upload.rows_read, upload.rows_valid) == (3, 3)
    with django_capture_on_commit_callbacks(execute=True):
        load.load_upload(upload.pk)
    upload.refresh_from_db()
    assert upload.status == PanelUpload.Status.LOADED and upload.rows_loaded == 3
    entries = PanelEntry.objects.filter(provider=provider, ended_at__isnull=True).select_related("patient")
    assert sorted(e.patient.phn for e in entries) == sorted(phns)
    assert {e.source for e in entries} == {"upload"}
    assert Patient.objects.get(phn=phns[0]).postal_code == "V2C 1A1"
    assert uploads.get_progress(upload.pk)["percent"] == 100
    assert AuditEvent.objects.filter(object_type="registries.PanelUpload", object_id=str(upload.pk), action="update").exists()


def test_loading_the_same_file_twice_changes_nothing(provider, moa):
    other = ProviderFactory()
    on_other = PatientFactory()
    PanelEntry.objects.create(patient=on_other, provider=other, since="2020-01-01", source="attach")
    waiting = household(1).members.get()
    data = panel_csv(good_rows(phn_list(4)) + [
        f"{on_other.phn},{on_other.last_name},{on_other.first_name},1980-05-17,,,",
        f"{waiting.phn},{waiting.last_name},{waiting.first_name},1980-05-17,,,",
    ])
    first = checked_and_loading(provider, data, by=moa)
    load.load_upload(first.pk)
    after_first = state()
    assert after_first[2:] == (1, 1)  # one conflict, one waitlist flag
    second = checked_and_loading(provider, data, by=moa)
    assert second.report["previously_loaded_at"]
    assert second.report["already_on_panel"] == 5 and second.report["conflict_count"] == 1
    load.load_upload(second.pk)
    second.refresh_from_db()
    assert state() == after_first
    assert second.rows_loaded == 0 and second.report["load"]["new_patients"] == 0


def test_conflict_is_reported_not_moved(provider, moa):
    other = ProviderFactory()
    patient = PatientFactory()
    existing = PanelEntry.objects.create(patient=patient, provider=other, since="2020-01-01", source="attach")
    data = panel_csv([f"{patient.phn},{patient.last_name},{patient.first_name},1980-05-17,,,2025-01-01"])
    upload = checked_and_loading(provider, data, by=moa)
    assert upload.report["conflicts"] == [{"line": 2, "phn": patient.phn}]
    load.load_upload(upload.pk)
    existing.refresh_from_db()
    assert existing.ended_at is None and existing.provider == other
    conflict = PanelConflict.objects.get()
    assert (conflict.existing_entry, conflict.claiming_provider, conflict.upload_id) == (existing, provider, upload.pk)


def test_waitlisted_patient_on_an_uploaded_panel_is_flagged_for_the_division(provider, moa, thompson):
    registration = household(2)
    member = registration.members.first()
    data = panel_csv([f"{member.phn},{member.last_name},{member.first_name},1980-05-17,,,"])
    upload = checked_and_loading(provider, data, by=moa)
    # Issue 16.5: the check no longer tells the clinic who is on the waitlist (it was a count of it).
    assert "on_waitlist" not in upload.report
    load.load_upload(upload.pk)
    flag = WaitlistFlag.objects.get()
    assert (flag.patient, flag.registration, flag.division, flag.provider) == (member, registration, thompson, provider)
    # They are added to the panel too; the coordinator decides about the waitlist entry.
    assert PanelEntry.objects.filter(patient=member, provider=provider, ended_at__isnull=True).exists()
    assert Registration.objects.get(pk=registration.pk).status == "waiting"


def test_existing_patient_details_are_kept_and_last_visit_moves_forward_only(provider, moa):
    patient = PatientFactory(first_name="Keep", last_name="Me")
    entry = PanelEntry.objects.create(patient=patient, provider=provider, since="2020-01-01", source="attach",
                                      last_visit="2025-05-01")
    # The same person as the registry names them, case and spaces aside (issue 16.2: a row with
    # another name is not this patient's, see test_panel_identity).
    older = panel_csv([f"{patient.phn},ME ,keep,1980-05-17,,,2024-01-01"])
    load.load_upload(checked_and_loading(provider, older).pk)
    entry.refresh_from_db()
    assert str(entry.last_visit) == "2025-05-01"
    newer = panel_csv([f"{patient.phn},me,KEEP,1980-05-17,,,2026-01-02"])
    load.load_upload(checked_and_loading(provider, newer).pk)
    entry.refresh_from_db()
    patient.refresh_from_db()
    assert str(entry.last_visit) == "2026-01-02" and (patient.first_name, patient.last_name) == ("Keep", "Me")


def test_worker_dying_between_chunks_or_phases_leaves_nothing_half_written(provider, moa):
    data = panel_csv(good_rows(phn_list(7)) + ["123,Bad,Row,1980-01-01,,,"])
    upload = checked_and_loading(provider, data, by=moa)
    before = state()

    class WorkerDied(Exception):
        pass

    for fatal_phase, nth in (("Staging rows", 2), ("Adding panel entries", 1), ("Flagging patients on the waitlist", 1)):
        seen = []

        def progress(percent, phase, seen=seen, fatal_phase=fatal_phase, nth=nth):
            seen.append(phase)
            if sum(p.startswith(fatal_phase) for p in seen) == nth:
                raise WorkerDied(phase)

        with pytest.raises(WorkerDied):
            load.load_upload(upload.pk, progress=progress, chunk_size=2)
        if fatal_phase == "Staging rows":
            assert seen[-1].startswith("Staging rows") and not seen[-1].endswith("(100%)")  # between chunks
        assert state() == before
        upload.refresh_from_db()
        assert upload.status == PanelUpload.Status.LOADING  # the re-delivered task will do it whole
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('pg_temp.panel_stage')")
            assert cursor.fetchone() == (None,)

    load.load_upload(upload.pk, chunk_size=2)
    upload.refresh_from_db()
    assert upload.status == PanelUpload.Status.LOADED and upload.rows_loaded == 7
    # A re-delivered task after success is a no-op.
    load.load_upload(upload.pk)
    assert PanelEntry.objects.count() == 7


def test_request_load_and_cancel_follow_the_status(provider, moa, django_capture_on_commit_callbacks):
    data = panel_csv(good_rows(phn_list(2)))
    upload = uploads.create_upload(provider, data=data, file_name="p.csv", by=moa)
    uploads.cancel_upload(upload, by=moa)
    with pytest.raises(PanelError):
        uploads.request_load(upload, by=moa)
    upload2 = uploads.create_upload(provider, data=data, file_name="p.csv", by=moa)
    assert upload2.stored_path == upload.stored_path  # one stored copy per content
    with django_capture_on_commit_callbacks() as callbacks:
        uploads.request_load(upload2, by=moa)
    assert len(callbacks) == 1  # the Celery task is queued only once the decision is committed
    upload2.refresh_from_db()
    assert upload2.status == PanelUpload.Status.LOADING and upload2.load_requested_by == moa
    with pytest.raises(PanelError):
        uploads.cancel_upload(upload2, by=moa)


def test_a_file_with_no_valid_rows_cannot_be_loaded(provider, moa):
    upload = uploads.create_upload(provider, data=panel_csv(["1,,,"]), file_name="bad.csv", by=moa)
    assert upload.rows_valid == 0 and upload.report["error_count"] == 4
    with pytest.raises(PanelError):
        uploads.request_load(upload, by=moa)


# Outside a test transaction, as the Celery task runs: the load is then a top-level transaction,
# and tells the people it added from the people it found.
def test_the_load_takes_the_rows_the_report_promised_even_a_day_later(provider, moa, monkeypatch):
    """A last visit dated tomorrow is a bad row on the day of the check and stays out of the load the next day."""
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    a, b = phn_list(2, 41_000_000)
    data = panel_csv([f"{a},Lee,Mei,1980-01-01,F,,{today}", f"{b},Gill,Raj,1981-02-02,M,,{tomorrow}"])
    upload = checked_and_loading(provider, data, by=moa)
    assert (upload.rows_valid, upload.report["errors"][0]["line"]) == (1, 3)

    monkeypatch.setattr(timezone, "localdate", lambda *args: tomorrow)
    upload = load.load_upload(upload.pk)
    assert upload.rows_loaded == 1
    assert list(PanelEntry.objects.values_list("patient__phn", flat=True)) == [a]


def test_a_stored_file_that_no_longer_checks_the_same_is_not_loaded(provider, moa):
    upload = checked_and_loading(provider, panel_csv(good_rows(phn_list(2, 42_000_000))), by=moa)
    PanelUpload.objects.filter(pk=upload.pk).update(rows_valid=1)
    with pytest.raises(PanelError, match="upload it again"):
        load.load_upload(upload.pk)
    assert PanelEntry.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("checks_by_locks", [True, False])
def test_known_and_new_people_load_the_same_with_or_without_per_row_key_checks(provider, moa, checks_by_locks):
    known = PatientFactory(phn=phn_list(1, start=41_000_000)[0])
    PatientFactory(phn=phn_list(1, start=42_000_000)[0])  # in the registry, not in the file
    new = phn_list(3)
    data = panel_csv(good_rows(new) + [f"{known.phn},{known.last_name},{known.first_name},1980-05-17,,,2026-01-02"])
    upload = checked_and_loading(provider, data, by=moa)
    tables = ("registries_panelentry", "patients_patient")
    with connection.cursor() as cursor:
        assert all(load._key_checks_by_load(cursor, t) for t in tables)  # the test database role is a superuser
        if not checks_by_locks:
            # A trigger that replica mode would skip: the load must then keep the ordinary checks.
            cursor.execute("CREATE FUNCTION pg_temp.noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'")
            for table in tables:
                cursor.execute(f"CREATE TRIGGER panel_noop AFTER INSERT ON {table}"
                               " FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.noop()")
            assert not any(load._key_checks_by_load(cursor, t) for t in tables)
    try:
        load.load_upload(upload.pk)
    finally:
        if not checks_by_locks:
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"DROP TRIGGER panel_noop ON {table}")
                cursor.execute("DROP FUNCTION pg_temp.noop()")
    on_panel = set(PanelEntry.objects.filter(provider=provider, ended_at__isnull=True).values_list("patient__phn", flat=True))
    assert on_panel == {*new, known.phn}
    assert Patient.objects.count() == 5
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone() == ("origin",)
        # Every entry's keys hold, checked the way the constraint would.
        cursor.execute(
            "SELECT count(*) FROM registries_panelentry e LEFT JOIN patients_patient p ON p.id = e.patient_id"
            " LEFT JOIN providers_provider v ON v.id = e.provider_id LEFT JOIN auth_user u ON u.id = e.created_by_id"
            " WHERE p.id IS NULL OR v.id IS NULL OR (e.created_by_id IS NOT NULL AND u.id IS NULL)"
        )
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("granted", [True, False])
def test_a_role_that_is_not_superuser_loads_with_or_without_the_replication_role_grant(provider, moa, granted):
    """Deployments run as an ordinary role: granted SET on session_replication_role it skips the
    per-row key checks as a superuser does; without the grant the ordinary checks run. Both load."""
    import uuid

    role = f"attach_loader_{uuid.uuid4().hex[:12]}"
    known = PatientFactory(phn=phn_list(1, start=43_000_000)[0])
    new = phn_list(2, start=44_000_000)
    upload = checked_and_loading(provider, panel_csv(good_rows(new) + [f"{known.phn},{known.last_name},{known.first_name},1980-05-17,,,"]), by=moa)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        if granted:
            cursor.execute(f"GRANT SET ON PARAMETER session_replication_role TO {role}")
        cursor.execute(f"SET ROLE {role}")
        try:
            assert [load._key_checks_by_load(cursor, t) for t in ("registries_panelentry", "patients_patient")] == [granted] * 2
            load.load_upload(upload.pk)
        finally:
            cursor.execute("RESET ROLE")
            if granted:
                cursor.execute(f"REVOKE SET ON PARAMETER session_replication_role FROM {role}")
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")
    on_panel = set(PanelEntry.objects.filter(provider=provider, ended_at__isnull=True).values_list("patient__phn", flat=True))
    assert on_panel == {*new, known.phn}
