"""Care services: one transaction each, audited, bad input refused on its field with nothing saved;
the database's constraints hold even when the services are bypassed."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from attachment.core.models import AuditEvent
from care import services
from care.models import (
    CarePlan,
    CarePlanVersion,
    CareProfile,
    Contact,
    Enrolment,
    NeedLevelChange,
    Programme,
    Task,
)
from tests.care.conftest import actor

pytestmark = pytest.mark.django_db


def _enrol(patient, programme, user, **kw):
    return services.enrol(patient, programme=programme, reason=kw.pop("reason", "Falls at home, lives alone"),
                          need_level=kw.pop("need_level", 3), actor=actor(user), **kw)


def test_enrolment_records_the_level_history_audit_and_first_call(care_coordinator, patient, frailty, kamloops_pcn):
    enrolment = _enrol(patient, frailty, care_coordinator)
    assert (enrolment.pcn, enrolment.need_level, enrolment.enrolled_by) == (kamloops_pcn, 3, care_coordinator)
    history = list(enrolment.need_history.values_list("from_level", "to_level"))
    assert history == [(None, 3)]
    event = AuditEvent.objects.get(object_type="care.Enrolment", object_id=str(enrolment.pk))
    assert event.action == "create" and event.user == care_coordinator and event.ip_address == "10.0.0.9"
    call = Task.objects.get(rule_key=f"care-enrol-call:{enrolment.pk}")
    assert call.assigned_to == care_coordinator and call.patient == patient and call.kind == "call"


def test_one_open_enrolment_per_programme(care_coordinator, patient, frailty):
    _enrol(patient, frailty, care_coordinator)
    with pytest.raises(services.CareError) as exc:
        _enrol(patient, frailty, care_coordinator)
    assert "programme" in exc.value.message_dict
    assert Enrolment.objects.count() == 1
    # Another programme is fine, and so is the same one again after a discharge.
    _enrol(patient, Programme.objects.get(code="complex_needs"), care_coordinator)
    services.discharge(Enrolment.objects.get(programme=frailty), reason="Moved to long-term care",
                       actor=actor(care_coordinator))
    _enrol(patient, frailty, care_coordinator)
    assert Enrolment.objects.filter(programme=frailty).count() == 2


def test_the_database_refuses_a_second_open_enrolment(care_coordinator, patient, frailty, kamloops_pcn):
    e = _enrol(patient, frailty, care_coordinator)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(patient=patient, programme=frailty, pcn=kamloops_pcn, reason="again", need_level=1,
                                 enrolled_at=e.enrolled_at)


@pytest.mark.parametrize("field, kw", [
    ("reason", {"reason": "   "}),
    ("need_level", {"need_level": 5}),
    ("need_level", {"need_level": "high"}),
])
def test_bad_enrolments_are_refused_on_their_field(care_coordinator, patient, frailty, field, kw):
    with pytest.raises(services.CareError) as exc:
        _enrol(patient, frailty, care_coordinator, **kw)
    assert field in exc.value.message_dict
    assert not Enrolment.objects.exists() and not Task.objects.exists() and not AuditEvent.objects.exists()


def test_need_level_changes_keep_their_history(care_coordinator, patient, frailty):
    enrolment = _enrol(patient, frailty, care_coordinator, need_level=2)
    services.change_need_level(enrolment, to_level=4, reason="Two falls this month", actor=actor(care_coordinator))
    services.change_need_level(enrolment, to_level=3, reason="Home care started", actor=actor(care_coordinator))
    enrolment.refresh_from_db()
    assert enrolment.need_level == 3
    assert list(enrolment.need_history.values_list("from_level", "to_level", "reason")) == [
        (None, 2, "Enrolled: Falls at home, lives alone"), (2, 4, "Two falls this month"), (4, 3, "Home care started")]
    assert AuditEvent.objects.filter(object_type="care.Enrolment", action="update").count() == 2
    with pytest.raises(services.CareError) as exc:
        services.change_need_level(enrolment, to_level=3, reason="same", actor=actor(care_coordinator))
    assert "to_level" in exc.value.message_dict
    with pytest.raises(services.CareError) as exc:
        services.change_need_level(enrolment, to_level=1, reason="", actor=actor(care_coordinator))
    assert "reason" in exc.value.message_dict
    assert NeedLevelChange.objects.count() == 3


def test_discharge_needs_a_reason_and_happens_once(care_coordinator, patient, frailty):
    enrolment = _enrol(patient, frailty, care_coordinator)
    with pytest.raises(services.CareError) as exc:
        services.discharge(enrolment, reason="", actor=actor(care_coordinator))
    assert "reason" in exc.value.message_dict
    services.discharge(enrolment, reason="Goals met", actor=actor(care_coordinator))
    assert not Task.objects.filter(done_at__isnull=True).exists()  # the first call went with it
    with pytest.raises(services.CareError):
        services.discharge(enrolment, reason="Again", actor=actor(care_coordinator))
    with pytest.raises(services.CareError):
        services.change_need_level(enrolment, to_level=1, reason="after", actor=actor(care_coordinator))


def _contact(patient, user, **kw):
    fields = dict(contacted_on=datetime.date.today(), channel="phone", contacted="carer", minutes=15,
                  outcome="reached", category="care_planning", note="Spoke with her daughter")
    fields.update(kw)
    return services.log_contact(patient, actor=actor(user), **fields)


def test_a_contact_is_logged_and_audited(care_coordinator, patient, kamloops_pcn):
    contact = _contact(patient, care_coordinator)
    assert (contact.pcn, contact.by, contact.minutes) == (kamloops_pcn, care_coordinator, 15)
    assert AuditEvent.objects.filter(object_type="care.Contact", object_id=str(contact.pk), action="create").exists()


@pytest.mark.parametrize("field, kw", [
    ("minutes", {"minutes": 0}),
    ("minutes", {"minutes": -5}),
    ("minutes", {"minutes": 600}),
    ("contacted_on", {"contacted_on": datetime.date.today() + datetime.timedelta(days=1)}),
    ("contacted_on", {"contacted_on": datetime.date(1930, 1, 1)}),
    ("contacted_on", {"contacted_on": datetime.date.today() - datetime.timedelta(days=400)}),
    ("channel", {"channel": "pigeon"}),
    ("contacted", {"contacted": "stranger"}),
    ("outcome", {"outcome": "maybe"}),
    ("category", {"category": "gossip"}),
])
def test_bad_contacts_are_refused_on_their_field(care_coordinator, patient, field, kw):
    with pytest.raises(services.CareError) as exc:
        _contact(patient, care_coordinator, **kw)
    assert field in exc.value.message_dict
    assert not Contact.objects.exists() and not AuditEvent.objects.exists()


def test_the_database_refuses_absurd_minutes(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(patient=patient, contacted_on=datetime.date.today(), channel="phone",
                               contacted="patient", minutes=900, outcome="reached", category="admin")


def _content(**kw):
    today = datetime.date.today()
    fields = dict(what_matters="Staying in her own home and gardening in spring",
                  review_date=today + datetime.timedelta(days=90),
                  goals=[{"text": "Walk to the mailbox daily", "target_date": (today + datetime.timedelta(days=60)).isoformat(),
                          "status": "in_progress"}],
                  actions=[{"text": "Refer to home support", "who": "coordinator", "due": "", "status": "to_do"}],
                  carers=[{"name": "Lucia Marchetti", "relationship": "Daughter", "phone": "250-555-0142", "email": ""}])
    fields.update(kw)
    return services.PlanContent(**fields)


def test_every_plan_version_is_kept_and_the_review_is_one_task(care_coordinator, patient):
    v1 = services.save_plan_version(patient, _content(), actor=actor(care_coordinator))
    later = datetime.date.today() + datetime.timedelta(days=120)
    v2 = services.save_plan_version(patient, _content(review_date=later, goals=[]), actor=actor(care_coordinator))
    assert (v1.number, v2.number) == (1, 2)
    assert CarePlan.objects.get(patient=patient).latest_number == 2
    assert CarePlanVersion.objects.get(number=1).goals[0]["text"] == "Walk to the mailbox daily"
    reviews = Task.objects.filter(kind="plan_review", done_at__isnull=True)
    assert reviews.count() == 1 and reviews.get().due_on == later
    assert AuditEvent.objects.filter(object_type="care.CarePlanVersion").count() == 2


@pytest.mark.parametrize("field, kw", [
    ("what_matters", {"what_matters": "  "}),
    ("review_date", {"review_date": datetime.date.today() - datetime.timedelta(days=1)}),
    ("review_date", {"review_date": datetime.date.today() + datetime.timedelta(days=500)}),
    ("review_date", {"review_date": None}),
    ("goals", {"goals": [{"text": "", "target_date": "", "status": "in_progress"}]}),
    ("goals", {"goals": [{"text": "Walk", "target_date": "2020-01-01", "status": "in_progress"}]}),
    ("goals", {"goals": [{"text": "Walk", "target_date": "31/12/2026", "status": "in_progress"}]}),
    ("goals", {"goals": [{"text": "Walk", "target_date": "", "status": "done-ish"}]}),
    ("actions", {"actions": [{"text": "Call", "who": "", "due": "", "status": "to_do"}]}),
    ("carers", {"carers": [{"name": "Lucia", "email": "not-an-email"}]}),
])
def test_inconsistent_plans_are_refused_on_their_field_and_nothing_is_saved(care_coordinator, patient, field, kw):
    with pytest.raises(services.CareError) as exc:
        services.save_plan_version(patient, _content(**kw), actor=actor(care_coordinator))
    assert field in exc.value.message_dict
    assert not CarePlan.objects.exists() and not Task.objects.exists() and not AuditEvent.objects.exists()


def test_the_database_keeps_plan_lists_lists(patient):
    from django.utils import timezone

    plan = CarePlan.objects.create(patient=patient, created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        CarePlanVersion.objects.create(plan=plan, number=1, what_matters="x", goals={"a": 1},
                                       review_date=datetime.date.today(), saved_at=timezone.now())


def test_tasks_by_rule_key_are_made_once_while_open(care_coordinator, colleague, patient, kamloops_pcn):
    due = datetime.date.today()
    a = services.create_task(pcn=kamloops_pcn, patient=patient, title="Call", due_on=due, rule_key="k:1",
                             actor=actor(care_coordinator))
    b = services.create_task(pcn=kamloops_pcn, patient=patient, title="Call", due_on=due, rule_key="k:1",
                             actor=actor(care_coordinator))
    assert a.pk == b.pk and Task.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(pcn=kamloops_pcn, title="Call", due_on=due, rule_key="k:1")
    services.assign_task(a, assigned_to=colleague, actor=actor(care_coordinator))
    services.assign_task(a, assigned_to=None, actor=actor(care_coordinator))
    services.complete_task(a, actor=actor(care_coordinator))
    with pytest.raises(services.CareError):
        services.complete_task(a, actor=actor(care_coordinator))
    # Done, the key is free again for the rule's next occasion.
    c = services.create_task(pcn=kamloops_pcn, patient=patient, title="Call", due_on=due, rule_key="k:1",
                             actor=actor(care_coordinator))
    assert c.pk != a.pk
    assert AuditEvent.objects.filter(object_type="care.Task").count() == 5


def test_a_task_goes_only_to_a_coordinator_of_its_pcn(care_coordinator, shuswap_coordinator, patient, kamloops_pcn):
    with pytest.raises(services.CareError) as exc:
        services.create_task(pcn=kamloops_pcn, patient=patient, title="Call", due_on=datetime.date.today(),
                             assigned_to=shuswap_coordinator, actor=actor(care_coordinator))
    assert "assigned_to" in exc.value.message_dict
    with pytest.raises(services.CareError) as exc:
        services.create_task(pcn=kamloops_pcn, patient=patient, title="", due_on=datetime.date(2020, 1, 1),
                             actor=actor(care_coordinator))
    assert {"title", "due_on"} <= set(exc.value.message_dict)
    assert not Task.objects.exists()


def test_the_care_profile_keeps_the_risk_category(provider_user, patient):
    profile = services.save_care_profile(patient, deficits=["falls", "hypertension", "diabetes", "visual", "mobility",
                                                            "polypharmacy", "memory", "housebound", "hearing"],
                                         complexity_score=4, needs_pvp=True, actor=actor(provider_user))
    assert profile.risk_category == "moderate" and profile.complexity_score == 4
    profile = services.save_care_profile(patient, deficits=["falls"], actor=actor(provider_user))
    assert profile.risk_category == "fit"
    event = AuditEvent.objects.filter(object_type="care.CareProfile", action="update").get()
    assert event.changes["risk_category"] == ["moderate", "fit"]
    with pytest.raises(services.CareError) as exc:
        services.save_care_profile(patient, deficits=["bogus"], complexity_score=9, actor=actor(provider_user))
    assert {"deficits", "complexity_score"} <= set(exc.value.message_dict)
    assert CareProfile.objects.get().deficits == ["falls"]
