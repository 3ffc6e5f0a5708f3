"""Referrals: the state machine (every illegal move refused), dated steps (contradicting
dates refused on their field, nothing saved), the database's own guard, and the chase rule
(made once per step past its expected days, closed when the referral moves on; a property
test over dates and step durations against the rule written out again here)."""

import datetime
import itertools

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attachment.core.errors import DomainError
from attachment.core.models import AuditEvent
from care import generator, referrals
from care.models import Referral, ReferralType, Task
from care.referrals import InvalidReferralTransition, ReferralError, S
from tests.care.conftest import actor

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 6, 15)


@pytest.fixture
def geriatric():
    return ReferralType.objects.get(code="geriatric")


SENT = D(2026, 5, 1)


def _refer(patient, user, kind, sent_on=SENT, **kw):
    return referrals.make_referral(patient, type=kind, service="Dr. Amani, geriatric medicine, RIH",
                                   reason="Falls and memory concerns", sent_on=sent_on, actor=actor(user),
                                   today=TODAY, **kw)


# The legal path, with the date each step is taken on.
PATH = [(S.ACCEPTED, D(2026, 5, 4)), (S.BOOKED, D(2026, 5, 6)), (S.SEEN, D(2026, 6, 1)),
        (S.REPORT_RECEIVED, D(2026, 6, 8)), (S.CLOSED, D(2026, 6, 10))]


def _at(step, patient, user, kind):
    """A referral brought to `step` through legal moves."""
    r = _refer(patient, user, kind)
    a = actor(user)
    if step in (S.REJECTED, S.CANCELLED):
        return referrals.move(r, step, on=D(2026, 5, 2), reason="No longer wanted", actor=a, today=TODAY)
    for to, on in PATH:
        if r.step == step:
            break
        r = referrals.move(r, to, on=on, appointment_on=D(2026, 6, 1) if to == S.BOOKED else None, actor=a,
                           today=TODAY)
    assert r.step == step
    return r


def test_a_referral_is_recorded_requested_with_its_due_date_and_audited(care_coordinator, patient, geriatric,
                                                                      kamloops_pcn):
    r = _refer(patient, care_coordinator, geriatric, records_sent=True)
    assert (r.step, r.pcn, r.referred_by, r.records_sent) == ("requested", kamloops_pcn, care_coordinator, True)
    assert r.step_due_on == D(2026, 5, 1) + datetime.timedelta(days=geriatric.accept_days)
    assert (r.fhir_request_status, r.fhir_task_status) == ("active", "requested")
    assert AuditEvent.objects.filter(object_type="care.Referral", object_id=str(r.pk), action="create",
                                     user=care_coordinator).exists()


def test_the_whole_loop_is_dated_and_closes(care_coordinator, patient, geriatric):
    r = _at(S.CLOSED, patient, care_coordinator, geriatric)
    r.refresh_from_db()
    assert (r.sent_on, r.accepted_on, r.booked_on, r.appointment_on, r.seen_on, r.report_on, r.closed_on) == (
        D(2026, 5, 1), D(2026, 5, 4), D(2026, 5, 6), D(2026, 6, 1), D(2026, 6, 1), D(2026, 6, 8), D(2026, 6, 10))
    assert r.step_due_on is None and (r.fhir_request_status, r.fhir_task_status) == ("completed", "completed")
    moves = AuditEvent.objects.filter(object_type="care.Referral", object_id=str(r.pk), action="update")
    assert moves.count() == 5


@pytest.mark.parametrize("from_step,to_step", [
    (a, b) for a, b in itertools.product(S.values, S.values) if b not in referrals.TRANSITIONS[a]
])
def test_every_illegal_move_is_refused(care_coordinator, patient, geriatric, from_step, to_step):
    r = _at(from_step, patient, care_coordinator, geriatric)
    before = Referral.objects.filter(pk=r.pk).values().get()
    with pytest.raises(InvalidReferralTransition) as exc:
        referrals.move(r, to_step, on=D(2026, 6, 12), appointment_on=D(2026, 6, 13), reason="because",
                       actor=actor(care_coordinator), today=TODAY)
    assert isinstance(exc.value, DomainError)
    assert Referral.objects.filter(pk=r.pk).values().get() == before


def test_an_unknown_step_is_refused(care_coordinator, patient, geriatric):
    r = _refer(patient, care_coordinator, geriatric)
    with pytest.raises(InvalidReferralTransition):
        referrals.move(r, "teleported", on=D(2026, 6, 1), actor=actor(care_coordinator), today=TODAY)


@pytest.mark.parametrize("step,kwargs,field", [
    (S.ACCEPTED, {"on": D(2026, 4, 30)}, "on"),  # accepted before it was sent
    (S.ACCEPTED, {"on": D(2026, 6, 16)}, "on"),  # in the future
    (S.ACCEPTED, {"on": None}, "on"),
    (S.REJECTED, {"on": D(2026, 5, 2), "reason": "  "}, "reason"),
    (S.CANCELLED, {"on": D(2026, 5, 2)}, "reason"),
])
def test_contradicting_dates_and_missing_reasons_are_refused_on_their_field(care_coordinator, patient, geriatric,
                                                                             step, kwargs, field):
    r = _refer(patient, care_coordinator, geriatric)
    with pytest.raises(ReferralError) as exc:
        referrals.move(r, step, actor=actor(care_coordinator), today=TODAY, **kwargs)
    assert field in exc.value.message_dict
    r.refresh_from_db()
    assert r.step == "requested" and r.accepted_on is None and r.ended_on is None


def test_seen_before_it_was_booked_and_appointment_before_booking_are_refused(care_coordinator, patient, geriatric):
    r = _at(S.ACCEPTED, patient, care_coordinator, geriatric)
    with pytest.raises(ReferralError) as exc:
        referrals.move(r, S.BOOKED, on=D(2026, 5, 10), appointment_on=D(2026, 5, 9), actor=actor(care_coordinator),
                       today=TODAY)
    assert "appointment_on" in exc.value.message_dict
    with pytest.raises(ReferralError) as exc:
        referrals.move(r, S.BOOKED, on=D(2026, 5, 10), actor=actor(care_coordinator), today=TODAY)
    assert "appointment_on" in exc.value.message_dict
    r = referrals.move(r, S.BOOKED, on=D(2026, 5, 10), appointment_on=D(2026, 6, 1), actor=actor(care_coordinator),
                       today=TODAY)
    with pytest.raises(ReferralError) as exc:
        referrals.move(r, S.SEEN, on=D(2026, 5, 9), actor=actor(care_coordinator), today=TODAY)
    assert "before it was booked" in exc.value.message_dict["on"][0]
    r.refresh_from_db()
    assert r.step == "booked" and r.seen_on is None


def test_a_referral_sent_in_the_future_or_without_a_service_is_refused(care_coordinator, patient, geriatric):
    with pytest.raises(ReferralError) as exc:
        referrals.make_referral(patient, type=geriatric, service="", reason="", sent_on=D(2026, 7, 1),
                                actor=actor(care_coordinator), today=TODAY)
    assert {"service", "reason", "sent_on"} <= set(exc.value.message_dict)
    assert not Referral.objects.exists()


def test_the_database_refuses_dates_out_of_order_and_steps_without_dates(care_coordinator, patient, geriatric):
    r = _at(S.SEEN, patient, care_coordinator, geriatric)
    for change in ({"seen_on": D(2026, 5, 1)}, {"step": "report_received"}, {"step": "rejected"},
                   {"accepted_on": None}, {"step_due_on": None}, {"step": "flying"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Referral.objects.filter(pk=r.pk).update(**change)


# --- the chase rule --------------------------------------------------------------------------


def test_an_overdue_referral_gets_one_chase_closed_when_it_moves_on(care_coordinator, patient, geriatric):
    r = _refer(patient, care_coordinator, geriatric)  # due 14 days after May 1st: May 15th
    assert referrals.chase_overdue(D(2026, 5, 15)) == (0, 0)
    assert referrals.chase_overdue(D(2026, 5, 16)) == (1, 0)
    assert generator.make_due_tasks(D(2026, 5, 17))["chase_overdue"] == {"made": 0, "closed": 0}
    chase = Task.objects.get(kind="referral_chase")
    assert (chase.rule_key, chase.patient, chase.assigned_to, chase.due_on) == (
        f"referral-chase:{r.pk}:requested", patient, care_coordinator, D(2026, 5, 16))
    assert "no answer" in chase.title
    referrals.move(r, S.ACCEPTED, on=D(2026, 5, 18), actor=actor(care_coordinator), today=TODAY)
    chase.refresh_from_db()
    assert chase.done_at is not None
    # Accepted May 18th, 45 days to book: chased again, for the new step, from July 3rd.
    assert referrals.chase_overdue(D(2026, 7, 2)) == (0, 0)
    assert referrals.chase_overdue(D(2026, 7, 3)) == (1, 0)


def test_the_rule_closes_chases_of_referrals_moved_on_elsewhere(care_coordinator, patient, geriatric):
    r = _refer(patient, care_coordinator, geriatric)
    referrals.chase_overdue(D(2026, 5, 20))
    # A move written without the service (an import, the admin): the rule still tidies up.
    Referral.objects.filter(pk=r.pk).update(step="cancelled", ended_on=D(2026, 5, 19), status_reason="Moved away",
                                            step_due_on=None)
    assert referrals.chase_overdue(D(2026, 5, 21)) == (0, 1)
    assert not Task.objects.filter(kind="referral_chase", done_at__isnull=True).exists()


def test_a_chase_done_while_still_stuck_comes_back_after_a_week(care_coordinator, patient, geriatric):
    from django.utils import timezone

    _refer(patient, care_coordinator, geriatric)
    referrals.chase_overdue(D(2026, 5, 16))
    done_at = timezone.make_aware(datetime.datetime(2026, 5, 17, 10, 0))
    Task.objects.filter(kind="referral_chase").update(done_at=done_at)
    assert referrals.chase_overdue(D(2026, 5, 20)) == (0, 0)
    assert referrals.chase_overdue(D(2026, 5, 24)) == (0, 0)
    assert referrals.chase_overdue(D(2026, 5, 25)) == (1, 0)
    assert Task.objects.filter(kind="referral_chase").count() == 2


OPEN = ["requested", "accepted", "booked", "seen", "report_received"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(step=st.sampled_from(OPEN + ["closed", "rejected"]), entered=st.dates(D(2025, 1, 1), D(2026, 6, 1)),
       days=st.tuples(*[st.integers(1, 60)] * 5), appointment_after=st.integers(0, 120),
       today_after=st.integers(-30, 200))
def test_the_chase_rule_over_dates_and_step_durations(care_coordinator, patient, step, entered, days,
                                                      appointment_after, today_after):
    accept, book, seen, report, close = days
    today = entered + datetime.timedelta(days=today_after)
    appointment = entered + datetime.timedelta(days=appointment_after)
    # The rule, written out again: how long each open step may last, from when.
    expected_due = {
        "requested": entered + datetime.timedelta(days=accept),
        "accepted": entered + datetime.timedelta(days=book),
        "booked": appointment + datetime.timedelta(days=seen),
        "seen": entered + datetime.timedelta(days=report),
        "report_received": entered + datetime.timedelta(days=close),
    }.get(step)
    with transaction.atomic():
        kind = ReferralType.objects.create(code="prop", name="Property", category="community", accept_days=accept,
                                           book_days=book, seen_days=seen, report_days=report, close_days=close)
        r = referrals.make_referral(patient, type=kind, service="Somewhere", reason="Because", sent_on=entered,
                                    actor=actor(care_coordinator), today=entered)
        path = {"accepted": 1, "booked": 2, "seen": 3, "report_received": 4, "closed": 5}
        for to, _ in PATH[:path.get(step, 0)]:
            r = referrals.move(r, to, on=entered, appointment_on=appointment if to == "booked" else None,
                               actor=actor(care_coordinator), today=max(entered, appointment))
        if step == "rejected":
            r = referrals.move(r, "rejected", on=entered, reason="Not eligible", actor=actor(care_coordinator),
                               today=entered)
        assert r.step == step and r.step_due_on == expected_due
        made, closed = referrals.chase_overdue(today)
        should = expected_due is not None and expected_due < today
        assert made == int(should) and closed == 0
        assert Task.objects.filter(rule_key=f"referral-chase:{r.pk}:{step}", done_at__isnull=True).exists() == should
        assert referrals.is_overdue(r, today) == should
        # Idempotent: the same day again makes nothing more.
        assert referrals.chase_overdue(today) == (0, 0)
        transaction.set_rollback(True)


def test_a_cancelled_referral_keeps_the_dates_it_had_reached(care_coordinator, patient, geriatric):
    r = _at(S.SEEN, patient, care_coordinator, geriatric)
    r = referrals.move(r, S.CANCELLED, on=D(2026, 6, 5), reason="Patient moved to Alberta",
                       actor=actor(care_coordinator), today=TODAY)
    r.refresh_from_db()
    assert (r.step, r.status_reason, r.ended_on, r.seen_on) == ("cancelled", "Patient moved to Alberta",
                                                               D(2026, 6, 5), D(2026, 6, 1))
    assert r.step_due_on is None and (r.fhir_request_status, r.fhir_task_status) == ("revoked", "cancelled")


def test_no_chase_for_a_patient_who_left_the_panel_and_theirs_close(care_coordinator, patient, geriatric):
    from django.utils import timezone

    from registries.models import PanelEntry

    _refer(patient, care_coordinator, geriatric)
    assert referrals.chase_overdue(D(2026, 5, 16)) == (1, 0)
    PanelEntry.objects.filter(patient=patient).update(ended_at=timezone.now(), end_reason="Moved away")
    assert referrals.chase_overdue(D(2026, 5, 17)) == (0, 1)
    assert referrals.chase_overdue(D(2026, 5, 30)) == (0, 0)
