"""Hospital stays and transitions: the services, their refusals, and the tasks the rules make."""

import datetime

import pytest
from django.utils import timezone

from attachment.core.models import AuditEvent
from care import generator, hospital
from care.models import HospitalStay, Task
from care.services import CareError
from tests.care.conftest import actor

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def open_tasks(patient, kind=None):
    qs = Task.objects.filter(patient=patient, done_at__isnull=True)
    return list(qs.filter(kind=kind) if kind else qs)


def admit(patient, who, *, days_ago=0, today=None):
    today = today or timezone.localdate()
    return hospital.record_admission(patient, hospital="Royal Inland Hospital", admitted_on=today - days_ago * DAY,
                                     reason="Fall at home, hip fracture", actor=actor(who), today=today)


def test_an_admission_puts_todays_call_to_the_family_on_the_worklist_at_once(patient, care_coordinator, today):
    stay = admit(patient, care_coordinator)
    [call] = open_tasks(patient, Task.Kind.HOSPITAL_CALL)
    assert call.due_on == today and call.assigned_to == care_coordinator and call.pcn == stay.pcn
    assert call.title == "Daily call to the family: day 1 in Royal Inland Hospital"
    assert AuditEvent.objects.filter(object_type="care.HospitalStay", object_id=str(stay.pk), action="create").exists()
    # A second run (beat) changes nothing.
    assert generator.make_due_tasks(today)["made"] == 0


def test_calls_are_daily_for_a_week_then_weekly(patient, care_coordinator, today):
    admit(patient, care_coordinator, days_ago=9)
    [call] = open_tasks(patient, Task.Kind.HOSPITAL_CALL)
    assert call.due_on == today - 2 * DAY  # day 7, the first weekly call
    assert call.title == "Weekly call to the family: week 2 in Royal Inland Hospital"


def test_the_discharge_makes_the_follow_ups_and_ends_the_calls(patient, care_coordinator, provider, today):
    stay = admit(patient, care_coordinator, days_ago=3)
    hospital.record_discharge(stay, discharged_on=today, summary_received=False, actor=actor(care_coordinator))
    kinds = {t.kind: t for t in open_tasks(patient)}
    assert Task.Kind.HOSPITAL_CALL not in kinds
    assert kinds[Task.Kind.DISCHARGE_CALL].due_on == generator.add_business_days(today, 2)
    assert kinds[Task.Kind.DISCHARGE_APPOINTMENT].due_on == today + 7 * DAY
    assert Task.Kind.GET_SUMMARY in kinds and Task.Kind.READ_SUMMARY not in kinds
    hospital.record_summary_received(stay, actor=actor(care_coordinator))
    kinds = {t.kind: t for t in open_tasks(patient)}
    assert Task.Kind.GET_SUMMARY not in kinds
    read = kinds[Task.Kind.READ_SUMMARY]
    assert read.provider == provider and read.assigned_to is None
    # Closing the stay closes every open task it made, and nothing else.
    other = Task.objects.create(patient=patient, pcn=stay.pcn, title="Unrelated", kind="call", due_on=today)
    hospital.close_stay(stay, reason="Settled at home", actor=actor(care_coordinator))
    assert open_tasks(patient) == [other]
    closed = Task.objects.filter(patient=patient, done_at__isnull=False)
    # The call of day 1, the follow-up call, the appointment, getting and reading the summary:
    # closed by the rules (no one's name on them), not done by a person.
    assert sorted(t.kind for t in closed) == sorted(["hospital_call", "discharge_call", "discharge_appt",
                                                     "get_summary", "read_summary"])
    assert all(t.done_by is None for t in closed)


def test_a_done_task_is_never_made_again(patient, care_coordinator, today):
    from care.services import complete_task

    stay = admit(patient, care_coordinator, days_ago=2)
    hospital.record_discharge(stay, discharged_on=today, actor=actor(care_coordinator))
    [call] = open_tasks(patient, Task.Kind.DISCHARGE_CALL)
    complete_task(call, actor=actor(care_coordinator))
    generator.make_due_tasks(today)
    assert open_tasks(patient, Task.Kind.DISCHARGE_CALL) == []


@pytest.mark.parametrize("field, value, message", [
    ("discharged_on", -5, "cannot be before the admission"),
    ("discharged_on", 1, "cannot be in the future"),
])
def test_contradicting_discharge_dates_are_refused_on_the_field(patient, care_coordinator, today, field, value, message):
    stay = admit(patient, care_coordinator, days_ago=2)
    with pytest.raises(CareError) as refused:
        hospital.record_discharge(stay, discharged_on=today + value * DAY, actor=actor(care_coordinator))
    assert message in " ".join(refused.value.message_dict[field])
    stay.refresh_from_db()
    assert stay.discharged_on is None and open_tasks(patient, Task.Kind.DISCHARGE_CALL) == []


def test_admission_refusals(patient, care_coordinator, today):
    with pytest.raises(CareError) as refused:
        hospital.record_admission(patient, hospital="", admitted_on=today + DAY, reason="", actor=actor(care_coordinator))
    assert set(refused.value.message_dict) == {"hospital", "reason", "admitted_on"}
    admit(patient, care_coordinator)
    with pytest.raises(CareError, match="already has an open stay"):
        admit(patient, care_coordinator)
    assert HospitalStay.objects.filter(patient=patient).count() == 1


def test_the_database_refuses_a_discharge_before_the_admission(patient, care_coordinator, today):
    from django.db import IntegrityError

    stay = admit(patient, care_coordinator)
    with pytest.raises(IntegrityError):
        HospitalStay.objects.filter(pk=stay.pk).update(discharged_on=today - 3 * DAY)


def test_a_patient_who_leaves_the_panel_leaves_the_worklist(patient, care_coordinator, today):
    from registries.models import PanelEntry

    admit(patient, care_coordinator)
    PanelEntry.objects.filter(patient=patient).update(ended_at=timezone.now(), end_reason="Moved away")
    assert generator.make_due_tasks(today)["hospital_calls"]["closed"] == 1
    assert generator.make_due_tasks(today + DAY)["made"] == 0


@pytest.mark.parametrize("spec, discharged, due", [
    # Thursday before Good Friday: Friday a holiday, then the weekend; Easter Monday is not one in BC.
    ("CA-BC", datetime.date(2026, 4, 2), datetime.date(2026, 4, 7)),
    # Friday before BC Day (the first Monday of August).
    ("CA-BC", datetime.date(2026, 7, 31), datetime.date(2026, 8, 5)),
    # Christmas 2027 is a Saturday: observed on Monday the 27th, and New Year's Day on a Friday.
    ("CA-BC", datetime.date(2027, 12, 24), datetime.date(2027, 12, 29)),
    ("CA-BC", datetime.date(2027, 12, 30), datetime.date(2028, 1, 4)),
    # No jurisdiction: Monday to Friday only.
    ("", datetime.date(2026, 7, 31), datetime.date(2026, 8, 4)),
])
def test_the_follow_up_call_skips_statutory_holidays(patient, care_coordinator, settings, spec, discharged, due):
    settings.ATTACH_HOLIDAYS = spec
    stay = admit(patient, care_coordinator, today=discharged - 2 * DAY)
    hospital.record_discharge(stay, discharged_on=discharged, actor=actor(care_coordinator), today=discharged)
    hospital.record_summary_received(stay, actor=actor(care_coordinator), today=discharged)
    [call] = open_tasks(patient, Task.Kind.DISCHARGE_CALL)
    [read] = open_tasks(patient, Task.Kind.READ_SUMMARY)
    assert call.due_on == read.due_on == due == generator.add_business_days(discharged, 2)


def test_an_unknown_jurisdiction_is_refused_at_startup(settings):
    from registries.apps import holidays_known

    assert holidays_known() == []
    settings.ATTACH_HOLIDAYS = "CA-XX"
    [error] = holidays_known()
    assert error.id == "registries.E001" and "CA-XX" in error.msg
