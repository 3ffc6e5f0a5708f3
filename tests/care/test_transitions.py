"""Growing up: a child in a programme has a task to start planning the move to adult care at
CARE_TRANSITION_START_AGE (12) and one to arrange it six months before paediatric care ends at
CARE_TRANSFER_AGE (19 in BC); one of each per patient and PCN, closed at the transfer age or
when the child leaves every programme."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta

from care import generator, services
from care.models import Programme, Task
from tests.care.conftest import actor, on_panel

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 1)


def transition_tasks(patient, *, open_only=True):
    tasks = Task.objects.filter(patient=patient, kind=Task.Kind.TRANSITION)
    return list(tasks.filter(done_at__isnull=True) if open_only else tasks)


def enrol(patient, who, code="complex_needs", on=TODAY):
    return services.enrol(patient, programme=Programme.objects.get(code=code), reason="Complex medical needs",
                          need_level=3, actor=actor(who),
                          now=datetime.datetime.combine(on, datetime.time(10), tzinfo=datetime.UTC))


@pytest.mark.parametrize("age_years, age_months, expected", [
    (11, 11, []),  # not yet 12
    (12, 0, ["start"]),
    (18, 5, ["start"]),  # the transfer task comes at 18 and a half
    (18, 6, ["start", "transfer"]),
    (19, 0, []),  # paediatric care has ended
])
def test_the_tasks_follow_the_childs_age(provider, care_coordinator, age_years, age_months, expected):
    born = TODAY - relativedelta(years=age_years, months=age_months)
    child = on_panel(provider, date_of_birth=born)
    enrol(child, care_coordinator)
    tasks = sorted(transition_tasks(child), key=lambda t: t.rule_key)
    assert [t.rule_key.split(":")[1] for t in tasks] == sorted(expected)
    for t in tasks:
        assert t.assigned_to == care_coordinator and t.due_on == TODAY  # due on enrolment: it came later
    if "transfer" in expected:
        [transfer] = [t for t in tasks if ":transfer:" in t.rule_key]
        assert transfer.title == f"Arrange adult care before paediatric care ends on {born + relativedelta(years=19)}"


def test_enrolled_as_a_young_child_the_task_comes_on_the_12th_birthday(provider, care_coordinator):
    born = datetime.date(2015, 3, 14)
    child = on_panel(provider, date_of_birth=born)
    enrol(child, care_coordinator, on=datetime.date(2026, 1, 5))
    assert transition_tasks(child) == []
    generator.make_due_tasks(datetime.date(2027, 3, 13))
    assert transition_tasks(child) == []
    generator.make_due_tasks(datetime.date(2027, 3, 14))
    [start] = transition_tasks(child)
    assert start.due_on == datetime.date(2027, 3, 14) and start.title == "Start planning the move to adult care (turns 12)"
    # Beat again the next day: nothing new; a done task is not made again.
    generator.make_due_tasks(datetime.date(2027, 3, 15))
    services.complete_task(start, actor=actor(care_coordinator))
    generator.make_due_tasks(datetime.date(2027, 3, 16))
    assert transition_tasks(child) == [] and len(transition_tasks(child, open_only=False)) == 1


def test_one_task_per_child_however_many_programmes_and_gone_with_the_last(provider, care_coordinator):
    child = on_panel(provider, date_of_birth=TODAY - relativedelta(years=15))
    first = enrol(child, care_coordinator, "complex_needs")
    second = enrol(child, care_coordinator, "frailty")
    assert len(transition_tasks(child)) == 1
    services.discharge(first, reason="Needs met", actor=actor(care_coordinator))
    assert len(transition_tasks(child)) == 1  # still in a programme
    services.discharge(second, reason="Moved away", actor=actor(care_coordinator))
    assert transition_tasks(child) == []


def test_a_leap_day_birthday(provider, care_coordinator):
    child = on_panel(provider, date_of_birth=datetime.date(2008, 2, 29))
    enrol(child, care_coordinator, on=datetime.date(2020, 1, 1))
    # Aged 18 years and 6 months on 2026-08-29 (222 months after 29 February); 19 on 2027-02-28.
    generator.make_due_tasks(datetime.date(2026, 8, 28))
    assert [t.rule_key.split(":")[1] for t in transition_tasks(child)] == ["start"]
    generator.make_due_tasks(datetime.date(2026, 8, 29))
    [transfer] = [t for t in transition_tasks(child) if ":transfer:" in t.rule_key]
    assert transfer.due_on == datetime.date(2026, 8, 29) and transfer.title.endswith("2027-02-28")
    generator.make_due_tasks(datetime.date(2027, 2, 28))
    assert transition_tasks(child) == []
