"""Importing a local waitlist into the registry, on real PostgreSQL, with the real linkage engine."""

import datetime

import pytest
from django.utils import timezone

from attachment.core.models import AuditEvent
from linkage import apply, imports, review, undo
from linkage.models import ImportRow, WaitlistImport
from patients.models import IdentityConflict, Patient, Registration, RegistrationStatusChange
from registries.models import PanelEntry
from tests.factories import PatientFactory
from tests.linkage.conftest import actor_of, imported, local_csv, registration_of, waiting_person

pytestmark = pytest.mark.django_db
ANA_PHN = "9234567897"
EARLY = datetime.date(2019, 5, 1)


def midnight(day):
    return apply.local_midnight(day)


@pytest.fixture
def ana():
    return waiting_person(last_name="Lopez", first_name="Ana", dob=datetime.date(1985, 3, 2), phn=ANA_PHN,
                          registered_days_ago=40)


def state():
    """Everything an import may change, to compare before and after."""
    return {
        "registrations": sorted(Registration.objects.values_list("pk", "registered_at", "status", "household_size",
                                                                 "priority")),
        "patients": sorted(Patient.objects.values_list("pk", "registration_id", "phn", "first_name")),
        "history": RegistrationStatusChange.objects.count(),
        "conflicts": IdentityConflict.objects.count(),
    }


def test_a_merge_keeps_the_earlier_date_and_makes_no_new_person(coordinator, thompson, ana):
    people = Patient.objects.count()
    upload = imported(thompson, coordinator, local_csv(
        f"L1,,Lopez,Ana,1985-03-02,{ANA_PHN},F,V2C1A1,250-555-0101,,Kamloops,{EARLY},"))
    row = ImportRow.objects.get(upload=upload)
    assert (row.decision, row.outcome, row.person_id) == ("merge", "merged", ana.pk)
    registration = registration_of(ana)
    assert registration.registered_at == midnight(EARLY)
    assert Patient.objects.count() == people
    assert row.before["moved"] is True and row.registration_id == registration.pk
    assert upload.figures["merged"] == 1 and upload.figures["dates_moved_earlier"] == 1
    assert AuditEvent.objects.filter(object_type="patients.Registration", object_id=str(registration.pk),
                                     changes__has_key="registered_at").exists()


def test_a_later_list_date_changes_nothing(coordinator, thompson, ana):
    original = registration_of(ana).registered_at
    late = timezone.localdate() - datetime.timedelta(days=2)
    upload = imported(thompson, coordinator, local_csv(
        f"L1,,Lopez,Ana,1985-03-02,{ANA_PHN},F,V2C1A1,,,Kamloops,{late},"))
    assert registration_of(ana).registered_at == original
    row = ImportRow.objects.get(upload=upload)
    assert row.outcome == "merged" and row.before["moved"] is False


def test_a_person_on_a_panel_is_reported_attached_not_registered(coordinator, thompson, provider):
    patient = PatientFactory(phn=ANA_PHN, first_name="Ana", last_name="Lopez", date_of_birth=datetime.date(1985, 3, 2))
    PanelEntry.objects.create(patient=patient, provider=provider, since=datetime.date(2020, 1, 1), source="upload")
    before = Registration.objects.count()
    upload = imported(thompson, coordinator, local_csv(f"L1,,Lopez,Ana,1985-03-02,{ANA_PHN},F,,,,Kamloops,{EARLY},"))
    row = ImportRow.objects.get(upload=upload)
    assert (row.outcome, row.person_id, row.registration_id) == ("attached", patient.pk, None)
    assert Registration.objects.count() == before and upload.figures["attached"] == 1


def test_a_household_registers_together_by_the_registrations_rules(coordinator, thompson):
    baby = timezone.localdate() - datetime.timedelta(days=200)
    upload = imported(thompson, coordinator, local_csv(
        "L1,H7,Nguyen,Bao,1990-07-08,,M,V2C 1A2,250-555-0102,bao@example.org,Kamloops,2021-02-03,chronic_condition",
        f"L2,H7,Nguyen,Linh,{baby},,F,V2C 1A2,250-555-0102,,Kamloops,{baby},",
        "L3,,Okafor,Chidi,1979-11-11,9345678918,M,,,,Kamloops,2022-06-01,",
    ))
    rows = {r.list_id: r for r in ImportRow.objects.filter(upload=upload)}
    assert {r.outcome for r in rows.values()} == {"registered"}
    household = rows["L1"].registration
    assert rows["L2"].registration_id == household.pk != rows["L3"].registration_id
    assert household.household_size == 2 and household.source == "local_list"
    assert household.registered_at == midnight(datetime.date(2021, 2, 3))  # the household's earliest date
    # The registration's own rule: the reported factor, plus what a date of birth tells (a child under 2).
    assert set(household.priority_factors) == {"chronic_condition", "infant"}
    assert household.priority == 6 and "chronic_disease" in household.needs
    members = list(household.members.order_by("pk"))
    assert [m.first_name for m in members] == ["Bao", "Linh"] and members[0].is_primary_contact
    assert members[0].phn is None  # no PHN on the list: collected later, never made up
    assert Patient.objects.get(pk=rows["L3"].person_id).phn == "9345678918"
    assert household.status_history.get().to_status == "waiting"
    assert upload.figures["registrations_created"] == 2


def test_a_known_phn_with_other_details_is_held_for_identity_review(coordinator, thompson):
    known = PatientFactory(phn=ANA_PHN, first_name="Anna", last_name="Lopes", date_of_birth=datetime.date(1985, 3, 2))
    upload = imported(thompson, coordinator, local_csv(
        f"L1,,Lopez,Ana,1985-03-02,{ANA_PHN},F,,,,Kamloops,{EARLY},"))
    row = ImportRow.objects.get(upload=upload)
    # Nobody waiting or on a panel has that PHN: a new registration, held as the public form's is.
    assert row.outcome == "registered" and row.person_id == known.pk
    conflict = IdentityConflict.objects.get(registration_id=row.registration_id)
    assert conflict.patient_id == known.pk and conflict.claimed_first_name == "Ana"
    known.refresh_from_db()
    assert known.first_name == "Anna" and known.registration_id is None  # the registry's record untouched
    assert upload.figures["identity_holds"] == 1


def test_a_repeated_person_in_the_file_is_a_duplicate_and_keeps_the_earliest_date(coordinator, thompson, ana):
    upload = imported(thompson, coordinator, local_csv(
        f"L1,,Lopez,Ana,1985-03-02,{ANA_PHN},F,V2C1A1,250-555-0101,,Kamloops,2020-01-01,",
        f"L2,,Lopez,Ana,1985-03-02,{ANA_PHN},F,V2C1A1,250-555-0101,,Kamloops,{EARLY},",
    ))
    rows = {r.list_id: r for r in ImportRow.objects.filter(upload=upload)}
    decided = {r.decision for r in rows.values()}
    assert decided == {"merge", "duplicate"}
    dup = next(r for r in rows.values() if r.decision == "duplicate")
    assert dup.same_as_id == next(r for r in rows.values() if r.decision == "merge").pk
    assert registration_of(ana).registered_at == midnight(EARLY)


def test_the_same_file_twice_changes_nothing_the_second_time(coordinator, thompson, ana):
    data = local_csv(
        f"L1,,Lopez,Ana,1985-03-02,{ANA_PHN},F,V2C1A1,250-555-0101,,Kamloops,{EARLY},",
        "L2,H1,Nguyen,Bao,1990-07-08,,M,V2C1A2,250-555-0102,,Kamloops,2021-02-03,",
        "L3,H1,Nguyen,Mai,1992-01-09,,F,V2C1A2,250-555-0102,,Kamloops,2021-02-03,",
    )
    first = imported(thompson, coordinator, data)
    after_first = state()
    second = imported(thompson, coordinator, data)
    assert state() == after_first
    assert second.report["previously_imported_at"]
    assert second.figures["skipped"] == 3 and second.figures["merged"] == 0 and second.figures["registered"] == 0
    assert set(ImportRow.objects.filter(upload=second).values_list("outcome", flat=True)) == {"skipped"}
    assert first.figures["registered"] == 2


def test_a_later_file_with_one_more_row_adds_only_that_row(coordinator, thompson, ana):
    row1 = f"L1,,Lopez,Ana,1985-03-02,{ANA_PHN},F,V2C1A1,250-555-0101,,Kamloops,{EARLY},"
    imported(thompson, coordinator, local_csv(row1))
    second = imported(thompson, coordinator, local_csv(row1, "L9,,Okafor,Chidi,1979-11-11,,M,,,,Kamloops,2022-06-01,"))
    assert second.figures["skipped"] == 1 and second.figures["registered"] == 1


def test_a_failure_mid_import_leaves_nothing_written(coordinator, thompson, ana, monkeypatch):
    before = state()
    upload = imports.create_import(thompson, data=local_csv(
        f"L1,,Lopez,Ana,1985-03-02,{ANA_PHN},F,V2C1A1,250-555-0101,,Kamloops,{EARLY},",
        "L2,,Nguyen,Bao,1990-07-08,,M,V2C1A2,250-555-0102,,Kamloops,2021-02-03,"),
        file_name="x.csv", actor=actor_of(coordinator))
    WaitlistImport.objects.filter(pk=upload.pk).update(status="importing")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(apply, "register_groups", boom)  # after the merge's date was written
    with pytest.raises(RuntimeError):
        imports.run_import(upload.pk)
    assert state() == before and not ImportRow.objects.exists()
    imports.mark_failed(upload.pk, "RuntimeError: disk full")
    assert WaitlistImport.objects.get(pk=upload.pk).status == "failed"


def test_undo_of_a_merge_restores_the_registration_exactly(coordinator, thompson, ana):
    original = registration_of(ana).registered_at
    upload = imported(thompson, coordinator, local_csv(
        f"L1,,Lopez,Ana,1985-03-02,{ANA_PHN},F,V2C1A1,250-555-0101,,Kamloops,{EARLY},"))
    row = ImportRow.objects.get(upload=upload)
    assert registration_of(ana).registered_at == midnight(EARLY)
    undo.undo_row(row, note="not her", actor=actor_of(coordinator))
    assert registration_of(ana).registered_at == original
    row.refresh_from_db()
    assert (row.outcome, row.person_id, row.registration_id) == ("pending", None, None)
    assert row.undone_by == coordinator and row.undo_note == "not her"
    assert AuditEvent.objects.filter(object_type="linkage.ImportRow", object_id=str(row.pk), reason="not her").exists()
    with pytest.raises(undo.UndoError):
        undo.undo_row(row, actor=actor_of(coordinator))


def test_undo_takes_back_only_its_own_date(coordinator, thompson, ana):
    """Two files merged Ana at 2020 then 2019: undoing the 2020 row leaves the 2019 date."""
    imported(thompson, coordinator, local_csv(f"L1,,Lopez,Ana,1985-03-02,{ANA_PHN},F,,,,Kamloops,2020-01-01,"))
    first = ImportRow.objects.get(list_id="L1")
    imported(thompson, coordinator, local_csv(f"M1,,Lopez,Ana,1985-03-02,{ANA_PHN},F,,,,Kamloops,{EARLY},"))
    undo.undo_row(first, actor=actor_of(coordinator))
    assert registration_of(ana).registered_at == midnight(EARLY)
    undo.undo_row(ImportRow.objects.get(list_id="M1"), actor=actor_of(coordinator))
    assert registration_of(ana).registered_at == midnight(datetime.date(2020, 1, 1))


def test_undo_of_a_new_registration_withdraws_it_with_its_household(coordinator, thompson):
    upload = imported(thompson, coordinator, local_csv(
        "L1,H1,Nguyen,Bao,1990-07-08,,M,V2C1A2,250-555-0102,,Kamloops,2021-02-03,",
        "L2,H1,Nguyen,Mai,1992-01-09,,F,V2C1A2,250-555-0102,,Kamloops,2021-02-03,"))
    row = ImportRow.objects.get(upload=upload, list_id="L2")
    registration = row.registration
    done = undo.undo_row(row, actor=actor_of(coordinator))
    assert len(done) == 2
    registration.refresh_from_db()
    assert registration.status == "withdrawn"
    assert registration.status_history.last().reason.startswith("Local list import undone")
    assert set(ImportRow.objects.filter(upload=upload).values_list("outcome", flat=True)) == {"pending"}


def _pending_row(upload, person_ids, **fields):
    defaults = dict(upload=upload, division_id=upload.division_id, line=2, list_id="R1", last_name="Singh",
                    first_name="H", date_of_birth=datetime.date(1988, 1, 1), community_id=Registration.objects.first()
                    .community_id, listed_on=EARLY, row_hash="x" * 64, decision="review",
                    candidates=[{"person": p, "score": 0.7, "evidence": ["last name matches", "first name differs (H / X)"]}
                                for p in person_ids])
    return ImportRow.objects.create(**{**defaults, **fields})


def test_review_merge_new_and_duplicate_are_applied_and_audited(coordinator, thompson, ana):
    other = waiting_person(last_name="Lopez", first_name="Anita", dob=datetime.date(1985, 3, 2))
    upload = imported(thompson, coordinator, local_csv("Q1,,Okafor,Chidi,1979-11-11,,M,,,,Kamloops,2022-06-01,"))
    actor = actor_of(coordinator)
    a = _pending_row(upload, [ana.pk, other.pk], line=10, list_id="R1", row_hash="a" * 64)
    b = _pending_row(upload, [ana.pk], line=11, list_id="R2", row_hash="b" * 64, first_name="Zed")
    c = _pending_row(upload, [ana.pk], line=12, list_id="R3", row_hash="c" * 64)

    with pytest.raises(review.ReviewError):
        review.decide(a, choice="merge", person_id=999999, actor=actor)  # not a candidate
    review.decide(a, choice="merge", person_id=ana.pk, note="same phone", actor=actor)
    a.refresh_from_db()
    assert (a.outcome, a.person_id, a.review_choice, a.reviewed_by) == ("merged", ana.pk, "merge", coordinator)
    assert registration_of(ana).registered_at == midnight(EARLY)

    review.decide(b, choice="new", actor=actor)
    b.refresh_from_db()
    assert b.outcome == "registered" and b.registration.registered_at == midnight(EARLY)
    assert b.registration.members.get().first_name == "Zed"

    first = ImportRow.objects.get(upload=upload, list_id="Q1")
    review.decide(c, choice="duplicate", same_as_id=first.pk, actor=actor)
    c.refresh_from_db()
    assert (c.outcome, c.same_as_id, c.person_id) == ("duplicate", first.pk, first.person_id)
    with pytest.raises(review.ReviewError):
        review.decide(c, choice="new", actor=actor)  # already decided
    assert AuditEvent.objects.filter(object_type="linkage.ImportRow", summary__startswith="Review:").count() == 3
    assert review.outcomes(upload) == {"reviewed": 3, "reviewed_merge": 1, "reviewed_new": 1,
                                       "reviewed_duplicate": 1, "pending": 0, "undone": 0}


def test_evidence_is_split_for_and_against():
    pro, con = review.split_evidence(["PHN matches", "first name differs (Jon / John)", "postal code differs",
                                      "date of birth matches"])
    assert pro == ["PHN matches", "date of birth matches"]
    assert con == ["first name differs (Jon / John)", "postal code differs"]


def test_an_import_given_up_by_the_reaper_is_failed_with_the_reason(coordinator, thompson):
    from attachment.core.jobs import job_interrupted
    from attachment.core.models import JobRun
    from linkage import tasks  # noqa: F401 - connects the receiver

    upload = imports.create_import(thompson, data=local_csv("L1,,Okafor,Chidi,1979-11-11,,M,,,,Kamloops,2022-06-01,"),
                                   file_name="x.csv", actor=actor_of(coordinator))
    WaitlistImport.objects.filter(pk=upload.pk).update(status="importing")
    job = JobRun.objects.create(name="linkage.import_local_waitlist", task="linkage.tasks.import_local_waitlist",
                                task_args=[upload.pk])
    job_interrupted.send(sender=JobRun, job=job, restarted=True)
    assert imports.get_progress(upload.pk)["phase"].startswith("Restarted")
    job_interrupted.send(sender=JobRun, job=job, restarted=False)
    upload.refresh_from_db()
    assert upload.status == "failed" and "worker stopped" in upload.error
