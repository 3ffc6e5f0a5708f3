"""The hospital task rules, property-based over stay lengths, dates and settings: a call to the
family every day for the first week, then weekly; after the discharge, a follow-up call within
N business days. The generator runs as beat runs it (each morning, some mornings missed); the
rules' SQL is held to the plain Python statement of the rule (care.generator)."""

import datetime

import holidays
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from care import generator, hospital
from care.models import Task
from tests.care.conftest import actor

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
PROPERTY = hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

admissions = st.dates(min_value=datetime.date(2025, 1, 1), max_value=datetime.date(2027, 12, 31))
bc_holidays = holidays.country_holidays("CA", subdiv="BC", years=range(2024, 2030))


def business_day(day: datetime.date) -> bool:
    # British Columbia's statutory holidays (ATTACH_HOLIDAYS), straight from the library.
    return day.weekday() < 5 and day not in bc_holidays


def calls_of(patient):
    return Task.objects.filter(patient=patient, kind=Task.Kind.HOSPITAL_CALL)


class Rollback(Exception):
    pass


def each_example(fn):
    """Each example in a savepoint rolled back after it, so examples do not see each other's stays."""
    try:
        with transaction.atomic():
            fn()
            raise Rollback
    except Rollback:
        pass


@PROPERTY
@given(admitted=admissions, length=st.integers(min_value=1, max_value=35),
       missed=st.sets(st.integers(min_value=1, max_value=34), max_size=10))
def test_daily_calls_for_a_week_then_weekly_one_open_at_a_time(patient, care_coordinator, admitted, length, missed):
    def example():
        stay = hospital.record_admission(patient, hospital="Royal Inland", admitted_on=admitted, reason="Pneumonia",
                                         actor=actor(care_coordinator), today=admitted)
        # Beat runs each morning of the stay, except the mornings it missed.
        for day in range(length):
            today = admitted + day * DAY
            if day in missed:
                continue
            generator.make_due_tasks(today)
            open_calls = list(calls_of(patient).filter(done_at__isnull=True))
            assert len(open_calls) == 1, (day, open_calls)
            call = open_calls[0]
            if day < 7:
                assert call.due_on == today and "Daily call" in call.title
            else:
                assert "Weekly call" in call.title
                assert (call.due_on - admitted).days % 7 == 0 and 0 <= (today - call.due_on).days < 7
            # A second run the same morning changes nothing (checked on some mornings: it is slow).
            if day % 5 == 0:
                assert generator.make_due_tasks(today) == {**{r.__name__: {"made": 0, "closed": 0}
                                                              for r in generator.RULES}, "made": 0, "closed": 0,
                                                           "released": 0}
        ran = [d for d in range(length) if d not in missed]
        expected = {generator.hospital_call_due(admitted, admitted + d * DAY)[1] for d in ran}
        assert {t.due_on for t in calls_of(patient)} == expected
        # Within the first week a call for every morning it ran; after it, one a week at most.
        assert {d for d in ran if d < 7} == {(t.due_on - admitted).days for t in calls_of(patient)
                                             if (t.due_on - admitted).days < 7}
        weekly = sorted(t.due_on for t in calls_of(patient) if (t.due_on - admitted).days >= 7)
        assert all((b - a).days >= 7 for a, b in zip(weekly, weekly[1:]))
        # The discharge ends the calls.
        discharged = admitted + length * DAY
        hospital.record_discharge(stay, discharged_on=discharged, actor=actor(care_coordinator), today=discharged)
        assert not calls_of(patient).filter(done_at__isnull=True).exists()

    each_example(example)


@PROPERTY
@given(admitted=admissions, length=st.integers(min_value=0, max_value=30),
       business_days=st.integers(min_value=0, max_value=12))
def test_the_follow_up_call_is_due_within_n_business_days_of_the_discharge(
        patient, care_coordinator, settings, admitted, length, business_days):
    settings.CARE_DISCHARGE_CALL_BUSINESS_DAYS = business_days

    def example():
        stay = hospital.record_admission(patient, hospital="Royal Inland", admitted_on=admitted, reason="Surgery",
                                         actor=actor(care_coordinator), today=admitted)
        discharged = admitted + length * DAY
        hospital.record_discharge(stay, discharged_on=discharged, actor=actor(care_coordinator), today=discharged)
        [call] = Task.objects.filter(patient=patient, kind=Task.Kind.DISCHARGE_CALL, done_at__isnull=True)
        # SQL and the Python statement of the rule agree ...
        assert call.due_on == generator.add_business_days(discharged, business_days)
        # ... and the rule is what it says: exactly N business days after the discharge, on one.
        between = [discharged + i * DAY for i in range(1, (call.due_on - discharged).days + 1)]
        assert sum(1 for d in between if business_day(d)) == business_days
        if business_days:
            assert business_day(call.due_on)
        else:
            assert call.due_on == discharged
        # Running beat on any later day leaves the one follow-up call as it is.
        generator.make_due_tasks(discharged + 3 * DAY)
        assert list(Task.objects.filter(patient=patient, kind=Task.Kind.DISCHARGE_CALL)) == [call]

    each_example(example)


@given(start=admissions, n=st.integers(min_value=0, max_value=40))
def test_business_days_never_land_on_a_weekend_or_holiday_and_count_exactly(start, n):
    due = generator.add_business_days(start, n)
    assert sum(1 for i in range(1, (due - start).days + 1) if business_day(start + i * DAY)) == n
    assert n == 0 or business_day(due)
    # Within the span the SQL searches (generator._business_days_sql).
    assert (due - start).days <= 2 * n + 14
