"""Care records as FHIR (EpisodeOfCare, CarePlan with its Goals and carers, Task,
Communication): read only, valid, in the care scope, audited."""

import datetime

import pytest

from attachment.core import roles
from attachment.core.audit import Actor
from attachment.core.models import AuditEvent
from care import services as care
from care.models import Programme, Task
from tests.conftest import login
from tests.factories import UserFactory, community
from tests.fhir.conftest import get, panel_of
from tests.fhir.test_resources import assert_valid

pytestmark = pytest.mark.django_db


@pytest.fixture
def care_world(provider, kamloops):
    coordinator = UserFactory(username="care-coordinator")
    roles.grant_pcn(coordinator, kamloops.pcn)
    actor = Actor(user=coordinator)
    patient = panel_of(provider, 1)[0]
    enrolment = care.enrol(patient, programme=Programme.objects.first(), reason="Frail, lives alone", need_level=2,
                           actor=actor)
    today = datetime.date.today()
    care.save_plan_version(patient, care.PlanContent(
        what_matters="Staying at home", review_date=today + datetime.timedelta(days=90),
        goals=[{"text": "Walk to the shop", "target_date": (today + datetime.timedelta(days=30)).isoformat(),
                "status": "in_progress"}],
        actions=[{"text": "Book physiotherapy", "who": "coordinator", "due": "", "status": "to_do"}],
        carers=[{"name": "Ana Lopez", "relationship": "Daughter", "phone": "", "email": ""}]), actor=actor)
    care.log_contact(patient, contacted_on=today, channel="phone", contacted="patient", minutes=15,
                     outcome="reached", category="care_planning", note="Talked about the plan", actor=actor)
    return {"coordinator": coordinator, "patient": patient, "enrolment": enrolment}


def test_care_records_as_fhir_are_valid_and_scoped(client, care_world, other_coordinator):
    login(client, care_world["coordinator"])
    patient = care_world["patient"]
    for resource_type in ("EpisodeOfCare", "CarePlan", "Task", "Communication"):
        response, found = get(client, f"/fhir/{resource_type}", patient=f"Patient/{patient.pk}")
        assert response.status_code == 200, found
        assert found["total"] >= 1, resource_type
        assert_valid(found)
        for entry in found["entry"]:
            assert_valid(entry["resource"])
    _, plans = get(client, "/fhir/CarePlan", patient=f"Patient/{patient.pk}")
    plan = plans["entry"][0]["resource"]
    assert plan["description"] == "Staying at home" and plan["meta"]["versionId"] == "1"
    goals = [c for c in plan["contained"] if c["resourceType"] == "Goal"]
    assert goals[0]["description"]["text"] == "Walk to the shop"
    assert plan["activity"][0]["detail"]["status"] == "not-started"
    _, episode = get(client, f"/fhir/EpisodeOfCare/{care_world['enrolment'].pk}")
    assert episode["status"] == "active" and episode["extension"][0]["valueInteger"] == 2
    assert AuditEvent.objects.filter(user=care_world["coordinator"], action="view", object_type="care.Enrolment").exists()

    login(client, other_coordinator)  # a waitlist coordinator elsewhere: no care scope
    response, _ = get(client, f"/fhir/EpisodeOfCare/{care_world['enrolment'].pk}")
    assert response.status_code == 404
    _, found = get(client, "/fhir/Task", patient=f"Patient/{patient.pk}")
    assert found["total"] == 0


def test_a_pcn_elsewhere_sees_nothing(client, care_world):
    elsewhere = UserFactory(username="victoria-care")
    roles.grant_pcn(elsewhere, community("Victoria").pcn)
    login(client, elsewhere)
    for resource_type in ("EpisodeOfCare", "CarePlan", "Task", "Communication"):
        _, found = get(client, f"/fhir/{resource_type}")
        assert found["total"] == 0, resource_type
    assert Task.objects.exists()
