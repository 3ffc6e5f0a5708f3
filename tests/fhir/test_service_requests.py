"""Care referrals as FHIR ServiceRequests (each with its step in a contained Task): every
step maps, every resource validates, scope is the referral pages' (care coordinators their
PCNs, providers and their delegates their own panel), reads and searches are audited."""

import datetime

import pytest

from attachment.core import roles
from attachment.core.audit import Actor
from attachment.core.models import AuditEvent
from care import referrals
from care.models import Referral, ReferralType
from care.referrals import S
from fhir import care as fhir_care
from providers.models import ClinicMembership, Delegation
from registries.models import PCN
from tests.conftest import login
from tests.factories import ProviderFactory, UserFactory
from tests.fhir.conftest import get, panel_of
from tests.fhir.test_resources import assert_valid

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 6, 15)
SENT = D(2026, 5, 1)
PATH = [(S.ACCEPTED, D(2026, 5, 4)), (S.BOOKED, D(2026, 5, 6)), (S.SEEN, D(2026, 6, 1)),
        (S.REPORT_RECEIVED, D(2026, 6, 8)), (S.CLOSED, D(2026, 6, 10))]
APPOINTMENT = D(2026, 6, 1)
# step -> (ServiceRequest.status, Task.status)
EXPECTED = {
    S.REQUESTED: ("active", "requested"), S.ACCEPTED: ("active", "accepted"), S.BOOKED: ("active", "in-progress"),
    S.SEEN: ("active", "in-progress"), S.REPORT_RECEIVED: ("active", "in-progress"),
    S.CLOSED: ("completed", "completed"), S.REJECTED: ("revoked", "rejected"), S.CANCELLED: ("revoked", "cancelled"),
}


@pytest.fixture
def coordinator(kamloops):
    user = UserFactory(username="care-coordinator", first_name="Casey", last_name="Ng")
    roles.grant_pcn(user, kamloops.pcn)
    return user


@pytest.fixture
def patient(provider):
    return panel_of(provider, 1)[0]


def _at(step, patient, user, *, records_sent=False):
    """A referral brought to `step` through the state machine's legal moves."""
    actor = Actor(user=user)
    r = referrals.make_referral(patient, type=ReferralType.objects.get(code="geriatric"),
                                service="Dr. Amani, geriatric medicine, RIH", reason="Falls and memory concerns",
                                sent_on=SENT, priority="urgent", records_sent=records_sent, actor=actor, today=TODAY)
    if step in (S.REJECTED, S.CANCELLED):
        if step == S.CANCELLED:  # cancelled after acceptance: it keeps the date it was accepted
            r = referrals.move(r, S.ACCEPTED, on=D(2026, 5, 2), actor=actor, today=TODAY)
        return referrals.move(r, step, on=D(2026, 5, 3), reason="No longer wanted", actor=actor, today=TODAY)
    for to, on in PATH:
        if r.step == step:
            break
        r = referrals.move(r, to, on=on, appointment_on=APPOINTMENT if to == S.BOOKED else None, actor=actor,
                           today=TODAY)
    assert r.step == step
    return r


def _task(resource):
    (task,) = resource["contained"]
    assert task["resourceType"] == "Task" and task["focus"] == {"reference": "#"}
    return task


def _history(task):
    found = {}
    for ext in task.get("extension", []):
        assert ext["url"] == fhir_care.REFERRAL_STEP_URL
        parts = {e["url"]: e for e in ext["extension"]}
        found[parts["step"]["valueCode"]] = parts["date"]["valueDate"]
    return found


def test_every_referral_step_maps_and_validates(client, coordinator, patient):
    made = {step: _at(step, patient, coordinator, records_sent=step == S.SEEN) for step in S.values}
    login(client, coordinator)
    response, found = get(client, "/fhir/ServiceRequest", patient=f"Patient/{patient.pk}", _count=20)
    assert response.status_code == 200, found
    assert found["total"] == len(S.values)
    assert_valid(found)
    by_id = {e["resource"]["id"]: e["resource"] for e in found["entry"]}
    for step, referral in made.items():
        resource = by_id[str(referral.pk)]
        assert_valid(resource)
        assert_valid(_task(resource))
        request_status, task_status = EXPECTED[step]
        task = _task(resource)
        assert (resource["status"], task["status"]) == (request_status, task_status), step
        assert task["businessStatus"]["coding"][0] == {
            "system": fhir_care.REFERRAL_STEP_SYSTEM, "code": step.replace("_", "-"), "display": S(step).label}
        assert resource["intent"] == "order" and resource["priority"] == "urgent"
        assert resource["subject"] == {"reference": f"Patient/{patient.pk}"}
        assert resource["code"]["coding"][0]["code"] == "geriatric"
        assert resource["category"][0]["coding"][0]["code"] == "specialist"
        assert resource["performer"] == [{"display": "Dr. Amani, geriatric medicine, RIH"}]
        assert resource["requester"] == {"display": "Casey Ng"}
        assert resource["authoredOn"] == "2026-05-01"
        assert resource["reasonCode"] == [{"text": "Falls and memory concerns"}]
        history = _history(task)
        assert history["requested"] == "2026-05-01"
        booked = step in (S.BOOKED, S.SEEN, S.REPORT_RECEIVED, S.CLOSED)
        assert ("occurrenceDateTime" in resource) == booked, step
        if booked:
            assert resource["occurrenceDateTime"] == APPOINTMENT.isoformat()
            assert history["booked"] == "2026-05-06"
        if step in (S.REJECTED, S.CANCELLED):
            assert task["statusReason"]["text"] == "No longer wanted"
            assert history[step] == "2026-05-03"
            assert task["executionPeriod"]["end"] == "2026-05-03"
        else:
            assert "statusReason" not in task
        notes = [n["text"] for n in resource.get("note", [])]
        assert ("Records sent with the referral." in notes) == (step == S.SEEN)
    assert set(_history(_task(by_id[str(made[S.CANCELLED].pk)]))) == {"requested", "accepted", "cancelled"}
    assert set(_history(_task(by_id[str(made[S.CLOSED].pk)]))) == {
        "requested", "accepted", "booked", "seen", "report-received", "closed"}


def test_read_and_search_are_scoped_and_audited(client, coordinator, patient, provider, clinic, moa):
    referral = _at(S.BOOKED, patient, coordinator)
    login(client, coordinator)
    response, resource = get(client, f"/fhir/ServiceRequest/{referral.pk}")
    assert response.status_code == 200 and resource["resourceType"] == "ServiceRequest"
    assert_valid(resource)
    assert AuditEvent.objects.filter(user=coordinator, action="view", object_type="care.Referral",
                                     object_id=str(referral.pk)).exists()
    get(client, "/fhir/ServiceRequest", subject=f"Patient/{patient.pk}")
    assert AuditEvent.objects.filter(user=coordinator, action="search", object_type="care.Referral",
                                     summary__contains="1 of 1").exists()

    # The provider whose panel the patient is on, and an MOA acting for them, see it.
    doctor = UserFactory(username="dr-panel")
    roles.add_role(doctor, roles.PROVIDER)
    provider.user = doctor
    provider.save(update_fields=["user"])
    for reader in (doctor, moa):
        login(client, reader)
        assert get(client, f"/fhir/ServiceRequest/{referral.pk}")[0].status_code == 200
        assert AuditEvent.objects.filter(user=reader, action="view", object_type="care.Referral").exists()

    # A coordinator of another PCN, an MOA delegated by another provider, a waitlist
    # coordinator: 404 by id, nothing by search.
    shuswap = UserFactory(username="shuswap-care")
    roles.grant_pcn(shuswap, PCN.objects.get(name="Shuswap PCN"))
    other_provider = ProviderFactory(clinic=clinic, last_name="Okafor")
    other_moa = UserFactory(username="other-moa")
    roles.add_role(other_moa, roles.MOA)
    ClinicMembership.objects.create(clinic=clinic, user=other_moa, role=ClinicMembership.Role.MOA)
    Delegation.objects.create(provider=other_provider, delegate=other_moa, status=Delegation.Status.ACTIVE)
    roles.grant_provider(other_moa, other_provider)
    for outsider in (shuswap, other_moa):
        login(client, outsider)
        response, body = get(client, f"/fhir/ServiceRequest/{referral.pk}")
        assert response.status_code == 404 and body["resourceType"] == "OperationOutcome"
        _, found = get(client, "/fhir/ServiceRequest", patient=f"Patient/{patient.pk}")
        assert found["total"] == 0
        _, found = get(client, "/fhir/ServiceRequest")
        assert found["total"] == 0
    assert not AuditEvent.objects.filter(user__in=[shuswap, other_moa], action="view").exists()
    assert Referral.objects.count() == 1


def test_search_by_status(client, coordinator, patient):
    open_one = _at(S.SEEN, patient, coordinator)
    closed = _at(S.CLOSED, patient, coordinator)
    rejected = _at(S.REJECTED, patient, coordinator)
    cancelled = _at(S.CANCELLED, patient, coordinator)
    login(client, coordinator)

    def ids(**params):
        response, found = get(client, "/fhir/ServiceRequest", **params)
        assert response.status_code == 200, found
        return {int(e["resource"]["id"]) for e in found.get("entry", [])}

    assert ids(status="active") == {open_one.pk}
    assert ids(status="completed") == {closed.pk}
    assert ids(status="revoked") == {rejected.pk, cancelled.pk}
    assert ids(status="active,completed", patient=f"Patient/{patient.pk}") == {open_one.pk, closed.pk}
    response, outcome = get(client, "/fhir/ServiceRequest", status="draft")
    assert response.status_code == 400 and outcome["issue"][0]["expression"] == ["status"]
    response, outcome = get(client, "/fhir/ServiceRequest", performer="x")
    assert response.status_code == 400 and outcome["issue"][0]["expression"] == ["performer"]


def test_the_capability_statement_lists_service_request(client):
    _, statement = get(client, "/fhir/metadata")
    (service_request,) = [r for r in statement["rest"][0]["resource"] if r["type"] == "ServiceRequest"]
    assert {p["name"] for p in service_request["searchParam"]} == {"patient", "subject", "status", "_id"}
    assert_valid(statement)
