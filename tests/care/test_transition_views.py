"""Pages of hospital stays, pre-visit planning, the provider's side, the printed plan and MDT
meetings: scope by list and URL for every role, audit rows, errors on the field with nothing saved."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from attachment.core.models import AuditEvent
from care import hospital, mdt, pvp, services
from care.models import PVP_ITEMS, HospitalStay, MdtAgendaItem, MdtMeeting, PlannedVisit, Task
from tests.care.conftest import actor, on_panel
from tests.conftest import login

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def enrolled(care_coordinator, patient, frailty):
    services.enrol(patient, programme=frailty, reason="Falls", need_level=3, actor=actor(care_coordinator))
    return patient


@pytest.fixture
def shuswap_stay(shuswap_coordinator, shuswap_patient, today):
    return hospital.record_admission(shuswap_patient, hospital="Shuswap Lake General", admitted_on=today,
                                     reason="Chest pain", actor=actor(shuswap_coordinator))


def needs_pvp(patient, by):
    services.save_care_profile(patient, needs_pvp=True, complexity_score=3, actor=actor(by))


def test_a_coordinator_records_an_admission_and_the_call_is_on_the_worklist(client, care_coordinator, enrolled, today):
    login(client, care_coordinator)
    bad = client.post(reverse("care:stay_new", args=[enrolled.pk]),
                      {"hospital": "Royal Inland", "admitted_on": str(today + DAY), "reason": "Fall"})
    assert bad.status_code == 400 and "cannot be in the future" in bad.content.decode()
    assert not HospitalStay.objects.exists()
    done = client.post(reverse("care:stay_new", args=[enrolled.pk]),
                       {"hospital": "Royal Inland", "admitted_on": str(today), "reason": "Fall"})
    assert done.status_code == 302
    rows = client.get(reverse("care:worklist")).context["rows"]
    assert [t.title for t in rows if t.kind == "hospital_call"] == ["Daily call to the family: day 1 in Royal Inland"]
    stay = HospitalStay.objects.get()
    assert AuditEvent.objects.filter(object_type="care.HospitalStay", object_id=str(stay.pk), user=care_coordinator,
                                     action="create").exists()
    # The discharge before the admission is refused on its field; the right one makes the follow-ups.
    bad = client.post(reverse("care:stay_discharge", args=[stay.pk]), {"discharged_on": str(today - 2 * DAY)})
    assert bad.status_code == 400 and "cannot be before the admission" in bad.content.decode()
    client.post(reverse("care:stay_discharge", args=[stay.pk]), {"discharged_on": str(today)})
    client.post(reverse("care:stay_summary", args=[stay.pk]))
    assert set(Task.objects.filter(done_at__isnull=True, patient=enrolled).values_list("kind", flat=True)) == {
        "call", "discharge_call", "discharge_appt", "read_summary"}
    client.post(reverse("care:stay_close", args=[stay.pk]), {"reason": "Settled at home"})
    assert set(Task.objects.filter(done_at__isnull=True, patient=enrolled).values_list("kind", flat=True)) == {"call"}


def test_stays_visits_and_meetings_of_another_pcn_are_not_found(client, care_coordinator, shuswap_coordinator,
                                                                shuswap_patient, shuswap_stay, shuswap_pcn, today):
    needs_pvp(shuswap_patient, shuswap_coordinator)
    visit = pvp.plan_visit(shuswap_patient, visit_on=today + 3 * DAY, actor=actor(shuswap_coordinator))
    meeting = mdt.schedule_meeting(pcn=shuswap_pcn, title="Shuswap MDT", meets_at=timezone.now(),
                                   actor=actor(shuswap_coordinator))
    item = MdtAgendaItem.objects.create(meeting=meeting, patient=shuswap_patient, position=1, reason="Falls")
    login(client, care_coordinator)
    for url in [reverse("care:stay_new", args=[shuswap_patient.pk]), reverse("care:stay_discharge", args=[shuswap_stay.pk]),
                reverse("care:stay_close", args=[shuswap_stay.pk]), reverse("care:visit", args=[visit.pk]),
                reverse("care:visit_summary", args=[visit.pk]), reverse("care:visit_new", args=[shuswap_patient.pk]),
                reverse("care:plan_print", args=[shuswap_patient.pk]), reverse("care:mdt_meeting", args=[meeting.pk]),
                reverse("care:mdt_item", args=[item.pk])]:
        assert client.get(url).status_code == 404, url
    for url in [reverse("care:stay_summary", args=[shuswap_stay.pk]), reverse("care:visit_cancel", args=[visit.pk])]:
        assert client.post(url).status_code == 404, url
    assert "Shuswap MDT" not in client.get(reverse("care:mdt_meetings")).content.decode()
    # A coordinator cannot schedule a meeting for a PCN not theirs.
    response = client.post(reverse("care:mdt_meetings"), {"pcn": shuswap_pcn.pk, "title": "Mine",
                                                           "meets_at": "2026-12-10T10:00"})
    assert response.status_code == 400 and not MdtMeeting.objects.filter(title="Mine").exists()


def test_the_provider_and_their_moa_read_the_pvp_summary_of_their_own_panel_only(
        client, care_coordinator, provider_user, moa, other_moa, patient, today):
    needs_pvp(patient, provider_user)
    visit = pvp.plan_visit(patient, visit_on=today + 4 * DAY, actor=actor(care_coordinator))
    pvp.update_item(visit, item="family_concerns", done=True, note="Worried about falls", actor=actor(care_coordinator))
    for user in (provider_user, moa):
        login(client, user)
        panel = client.get(reverse("care:my_panel"))
        assert [v.pk for v in panel.context["visits"]] == [visit.pk]
        summary = client.get(reverse("care:visit_summary", args=[visit.pk]))
        assert summary.status_code == 200 and "Worried about falls" in summary.content.decode()
        assert AuditEvent.objects.filter(user=user, action="view", object_id=str(patient.pk),
                                         summary__startswith="PVP summary").exists()
        # The coordinator's pages are not theirs.
        assert client.get(reverse("care:visit", args=[visit.pk])).status_code == 403
        assert client.get(reverse("care:stay_new", args=[patient.pk])).status_code == 403
    login(client, other_moa)
    assert client.get(reverse("care:visit_summary", args=[visit.pk])).status_code == 404
    assert client.get(reverse("care:my_panel")).context["visits"] == []


def test_the_provider_s_task_to_read_the_summary(client, care_coordinator, provider_user, other_moa, patient, today):
    stay = hospital.record_admission(patient, hospital="RIH", admitted_on=today - 2 * DAY, reason="Sepsis",
                                     actor=actor(care_coordinator))
    hospital.record_discharge(stay, discharged_on=today, summary_received=True, actor=actor(care_coordinator))
    task = Task.objects.get(kind="read_summary")
    login(client, other_moa)
    assert client.post(reverse("care:provider_task_done", args=[task.pk])).status_code == 404
    login(client, provider_user)
    assert [t.pk for t in client.get(reverse("care:my_panel")).context["tasks"]] == [task.pk]
    client.post(reverse("care:provider_task_done", args=[task.pk]))
    task.refresh_from_db()
    assert task.done_by == provider_user
    # In the coordinator's worklist the provider's task is not the team queue's.
    login(client, care_coordinator)
    queue = client.get(reverse("care:worklist"), {"who": "queue", "horizon": 7}).context["rows"]
    assert all(t.provider_id is None for t in queue)


def test_the_provider_records_the_profile_for_their_panel_and_it_is_audited(client, provider_user, other_moa, patient):
    login(client, provider_user)
    response = client.post(reverse("care:profile", args=[patient.pk]),
                           {"diagnoses": "COPD", "complexity_score": "4", "needs_pvp": "on"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(user=provider_user, object_type="care.CareProfile", action="create").exists()
    login(client, other_moa)
    assert client.get(reverse("care:profile", args=[patient.pk])).status_code == 404


def test_a_visit_is_planned_only_when_the_provider_asked_for_pvp(client, care_coordinator, provider_user, patient, today):
    login(client, care_coordinator)
    refused = client.post(reverse("care:visit_new", args=[patient.pk]), {"visit_on": str(today + 3 * DAY)})
    assert refused.status_code == 400 and "has not said their visits need pre-visit planning" in refused.content.decode()
    needs_pvp(patient, provider_user)
    past = client.post(reverse("care:visit_new", args=[patient.pk]), {"visit_on": str(today - DAY)})
    assert past.status_code == 400 and "in the past" in past.content.decode()
    assert not PlannedVisit.objects.exists()
    client.post(reverse("care:visit_new", args=[patient.pk]), {"visit_on": str(today + 3 * DAY)})
    visit = PlannedVisit.objects.get()
    # Three days ahead is within the reminder's five: the reminder is on the worklist at once.
    [reminder] = Task.objects.filter(kind="pvp_reminder", done_at__isnull=True)
    assert reminder.due_on == today and reminder.assigned_to == care_coordinator
    for code, _ in PVP_ITEMS:
        client.post(reverse("care:visit", args=[visit.pk]), {"item": code, "done": "on", "note": "Done"})
    visit.refresh_from_db()
    assert visit.items_done == 6 and visit.log.count() == 6
    # The checklist complete, the reminder closes.
    assert not Task.objects.filter(kind="pvp_reminder", done_at__isnull=True).exists()


def test_the_pvp_reminder_comes_n_days_ahead(care_coordinator, provider_user, patient, today):
    from care import generator

    needs_pvp(patient, provider_user)
    visit = pvp.plan_visit(patient, visit_on=today + 20 * DAY, actor=actor(care_coordinator))
    assert not Task.objects.filter(kind="pvp_reminder").exists()
    assert generator.make_due_tasks(today + 14 * DAY)["pvp_reminders"]["made"] == 0
    assert generator.make_due_tasks(today + 15 * DAY)["pvp_reminders"]["made"] == 1
    assert Task.objects.get(kind="pvp_reminder").due_on == visit.visit_on - 5 * DAY
    # After the visit's day the reminder means nothing: closed.
    assert generator.make_due_tasks(today + 21 * DAY)["pvp_reminders"]["closed"] == 1


def test_an_mdt_meeting_with_its_agenda_attendance_outcome_and_actions(client, care_coordinator, colleague,
                                                                       enrolled, kamloops_pcn, provider):
    not_enrolled = on_panel(provider, first_name="Nora", last_name="Quill")
    login(client, care_coordinator)
    client.post(reverse("care:mdt_meetings"), {"pcn": kamloops_pcn.pk, "title": "Complex care MDT",
                                               "meets_at": "2026-12-10T10:00", "location": "Boardroom"})
    meeting = MdtMeeting.objects.get()
    url = reverse("care:mdt_meeting", args=[meeting.pk])
    refused = client.post(url, {"form": "agenda", "patient": not_enrolled.last_name, "reason": "Check"})
    assert refused.status_code == 400 and "No one on this PCN" in refused.content.decode()
    client.post(url, {"form": "agenda", "patient": enrolled.phn, "reason": "Falls at home"})
    client.post(url, {"form": "attendance", "attendees": "Cam Carer, coordinator\nDr. Singh\n"})
    meeting.refresh_from_db()
    assert meeting.attendees == "Cam Carer, coordinator\nDr. Singh"
    item = meeting.items.get()
    item_url = reverse("care:mdt_item", args=[item.pk])
    client.post(item_url, {"form": "outcome", "outcome": "Home care assessment; review in a month"})
    client.post(item_url, {"form": "action", "title": "Ask home care for an assessment", "due_on": "2026-12-20",
                           "assigned_to": colleague.pk})
    task = Task.objects.get(kind="mdt_action")
    assert (task.patient, task.assigned_to, task.pcn) == (enrolled, colleague, kamloops_pcn)
    item.refresh_from_db()
    assert item.outcome.startswith("Home care") and item.outcome_by == care_coordinator
    page = client.get(url).content.decode()
    assert "Home care assessment" in page and "1 action" in page


def test_the_printed_plan_is_plain_and_has_no_navigation(client, care_coordinator, enrolled, today):
    services.save_plan_version(enrolled, services.PlanContent(
        what_matters="Staying at home with my cat", review_date=today + 60 * DAY,
        goals=[{"text": "Walk to the shop", "target_date": "", "status": "in_progress"}],
        actions=[{"text": "Call every week", "who": "coordinator", "due": "", "status": "to_do"}], carers=[]),
        actor=actor(care_coordinator))
    login(client, care_coordinator)
    page = client.get(reverse("care:plan_print", args=[enrolled.pk])).content.decode()
    assert "Your care and support plan" in page and "Your care coordinator will call every week." in page
    assert "Walk to the shop — working on it" in page
    assert 'nav class="main"' not in page and "Log out" not in page
    assert AuditEvent.objects.filter(user=care_coordinator, summary__contains="printed for the patient").exists()
