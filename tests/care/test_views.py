"""Care pages: scope by list, URL and search for every role; audit rows; errors on the field, nothing saved."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from attachment.core.audit import Actor
from attachment.core.models import AuditEvent
from care import services
from care.models import CarePlanVersion, Contact, Enrolment, Task
from patients.models import Registration
from tests.care.conftest import actor, on_panel
from tests.conftest import login
from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(care_coordinator, patient, frailty):
    services.enrol(patient, programme=frailty, reason="Falls", need_level=3, actor=actor(care_coordinator))
    return patient


@pytest.fixture
def shuswap_enrolled(shuswap_coordinator, shuswap_patient, frailty):
    services.enrol(shuswap_patient, programme=frailty, reason="Lives alone", need_level=2,
                   actor=actor(shuswap_coordinator))
    return shuswap_patient


def test_a_care_coordinator_lands_on_the_caseload(client, care_coordinator):
    login(client, care_coordinator)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("care:caseload")


def test_caseload_lists_search_and_urls_stay_in_scope(client, care_coordinator, enrolled, shuswap_enrolled):
    login(client, care_coordinator)
    page = client.get(reverse("care:caseload")).content.decode()
    assert "Marchetti" in page and "Brandt" not in page
    found = client.get(reverse("care:caseload"), {"q": shuswap_enrolled.phn}).content.decode()
    assert "Brandt" not in found and "No enrolled patients match" in found
    assert "Marchetti" in client.get(reverse("care:caseload"), {"q": "marche"}).content.decode()
    assert "Brandt, Walter" not in client.get(reverse("care:find"), {"q": "Brandt"}).content.decode()
    assert "Marchetti" in client.get(reverse("care:find"), {"q": enrolled.phn}).content.decode()
    assert client.get(reverse("care:patient", args=[enrolled.pk])).status_code == 200
    other = Enrolment.objects.get(patient=shuswap_enrolled)
    for url in [reverse("care:patient", args=[shuswap_enrolled.pk]), reverse("care:enrol", args=[shuswap_enrolled.pk]),
                reverse("care:contact", args=[shuswap_enrolled.pk]), reverse("care:plan_edit", args=[shuswap_enrolled.pk]),
                reverse("care:discharge", args=[other.pk]), reverse("care:need_level", args=[other.pk])]:
        assert client.get(url).status_code == 404, url
    task = Task.objects.get(patient=shuswap_enrolled)
    assert client.post(reverse("care:task_done", args=[task.pk])).status_code == 404
    worklist = client.get(reverse("care:worklist"), {"horizon": 7}).content.decode()
    assert "Marchetti" in worklist and "Brandt" not in worklist


def test_filters_by_programme_and_need_level(client, care_coordinator, enrolled, provider, frailty):
    second = on_panel(provider, first_name="Ivo", last_name="Kowalczyk")
    from care.models import Programme

    services.enrol(second, programme=Programme.objects.get(code="long_term_conditions"), reason="COPD",
                   need_level=1, actor=actor(care_coordinator))
    login(client, care_coordinator)
    by_programme = client.get(reverse("care:caseload"), {"programme": frailty.pk}).content.decode()
    assert "Marchetti" in by_programme and "Kowalczyk" not in by_programme
    by_level = client.get(reverse("care:caseload"), {"need_level": 1}).content.decode()
    assert "Kowalczyk" in by_level and "Marchetti" not in by_level


def test_providers_and_moas_see_their_own_panel_only(client, provider_user, moa, other_moa, enrolled):
    for user, sees in [(provider_user, True), (moa, True), (other_moa, False)]:
        login(client, user)
        page = client.get(reverse("care:caseload")).content.decode()
        assert ("Marchetti" in page) is sees, user
        assert client.get(reverse("care:patient", args=[enrolled.pk])).status_code == (200 if sees else 404)
        # Coordinating is the care coordinators': the forms refuse clinic staff.
        assert client.get(reverse("care:enrol", args=[enrolled.pk])).status_code == 403
        assert client.get(reverse("care:candidates")).status_code == 403


def test_managers_and_waitlist_coordinators_get_nothing(client, manager, coordinator, enrolled):
    for user in (manager, coordinator):
        login(client, user)
        for url in [reverse("care:caseload"), reverse("care:patient", args=[enrolled.pk]), reverse("care:worklist"),
                    reverse("care:candidates"), reverse("care:find") + "?q=Marchetti"]:
            assert client.get(url).status_code == 403, (user, url)


def test_the_provider_records_the_profile_and_the_coordinator_sees_the_score(
    client, provider_user, care_coordinator, enrolled
):
    login(client, provider_user)
    url = reverse("care:profile", args=[enrolled.pk])
    response = client.post(url, {"deficits": ["falls", "hypertension", "diabetes", "visual", "mobility"],
                                 "complexity_score": "3", "needs_pvp": "on", "diagnoses": "Type 2 diabetes"})
    assert response.status_code == 302
    login(client, care_coordinator)
    assert client.get(url).status_code == 403
    page = client.get(reverse("care:patient", args=[enrolled.pk])).content.decode()
    assert "Mild frailty" in page and "5 of 36 deficits recorded" in page and "Visits need pre-visit planning" in page


def test_every_page_showing_a_person_is_audited(client, care_coordinator, enrolled):
    login(client, care_coordinator)
    before = AuditEvent.objects.count()
    client.get(reverse("care:patient", args=[enrolled.pk]))
    client.get(reverse("care:caseload"))
    client.get(reverse("care:caseload"), {"q": "Marchetti"})
    client.get(reverse("care:worklist"))
    client.get(reverse("care:candidates"))
    events = list(AuditEvent.objects.order_by("id")[before:].values_list("action", "object_type", "object_id"))
    assert events == [("view", "patients.Patient", str(enrolled.pk)), ("view", "care.Enrolment", ""),
                      ("search", "care.Enrolment", ""), ("view", "care.Task", ""), ("view", "patients.Patient", "")]
    assert AuditEvent.objects.filter(user=care_coordinator, action="view").exists()


def test_a_bad_contact_shows_its_error_on_the_field_and_saves_nothing(client, care_coordinator, enrolled):
    login(client, care_coordinator)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(reverse("care:contact", args=[enrolled.pk]), {
        "contacted_on": tomorrow, "channel": "phone", "contacted": "patient", "minutes": "700",
        "outcome": "reached", "category": "assessment"})
    assert response.status_code == 400
    form = response.context["form"]
    assert "future" in form.errors["contacted_on"][0] and "minutes" in form.errors
    assert not Contact.objects.exists()


def test_a_contact_from_the_worklist_closes_its_task(client, care_coordinator, enrolled):
    task = Task.objects.get(patient=enrolled)
    login(client, care_coordinator)
    response = client.post(reverse("care:contact", args=[enrolled.pk]), {
        "contacted_on": timezone.localdate().isoformat(), "channel": "phone", "contacted": "patient", "minutes": "20",
        "outcome": "reached", "category": "assessment", "task": task.pk, "complete_task": "1",
        "next": reverse("care:worklist")})
    assert response.status_code == 302 and response["Location"] == reverse("care:worklist")
    task.refresh_from_db()
    assert task.done_by == care_coordinator and Contact.objects.get().minutes == 20


def test_a_plan_with_an_inconsistent_goal_date_is_refused_whole(client, care_coordinator, enrolled):
    login(client, care_coordinator)
    today = timezone.localdate()
    data = {"what_matters": "Home", "review_date": (today + datetime.timedelta(days=30)).isoformat(),
            "goals-TOTAL_FORMS": "2", "goals-INITIAL_FORMS": "0",
            "goals-0-text": "Walk daily", "goals-0-target_date": "2001-01-01", "goals-0-status": "in_progress",
            "goals-1-text": "", "goals-1-target_date": "", "goals-1-status": "not_started",
            "actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "0", "actions-0-text": "", "actions-0-who": "",
            "actions-0-status": "to_do", "carers-TOTAL_FORMS": "1", "carers-INITIAL_FORMS": "0", "carers-0-name": ""}
    response = client.post(reverse("care:plan_edit", args=[enrolled.pk]), data)
    assert response.status_code == 400
    assert "Goal 1: the date is before the plan began" in response.content.decode()
    assert not CarePlanVersion.objects.exists()
    data["goals-0-target_date"] = (today + datetime.timedelta(days=20)).isoformat()
    assert client.post(reverse("care:plan_edit", args=[enrolled.pk]), data).status_code == 302
    data["what_matters"] = "Home, and her garden"
    data["goals-1-text"] = "Plant tomatoes"
    assert client.post(reverse("care:plan_edit", args=[enrolled.pk]), data).status_code == 302
    page = client.get(reverse("care:plan_compare", args=[enrolled.pk]), {"a": 1, "b": 2}).content.decode()
    assert "Added: Plant tomatoes" in page and "Home, and her garden" in page
    assert client.get(reverse("care:plan_version", args=[enrolled.pk, 3])).status_code == 404


def test_candidates_are_recently_attached_people_with_their_reasons(client, care_coordinator, provider, patient):
    household = RegistrationFactory(status=Registration.Status.ATTACHED, priority_factors=["chronic_condition"])
    Registration.objects.filter(pk=household.pk).update(status_changed_at=timezone.now() - datetime.timedelta(days=20))
    on_panel(provider, first_name="Rosa", last_name="Delgado", registration=household,
             date_of_birth=datetime.date(1950, 4, 4))
    on_panel(provider, first_name="Tom", last_name="Delgado", registration=household,
             date_of_birth=datetime.date(1990, 4, 4))
    long_ago = RegistrationFactory(status=Registration.Status.ATTACHED, priority_factors=["palliative"])
    Registration.objects.filter(pk=long_ago.pk).update(status_changed_at=timezone.now() - datetime.timedelta(days=900))
    on_panel(provider, first_name="Old", last_name="Attachment", registration=long_ago)
    login(client, care_coordinator)
    page = client.get(reverse("care:candidates")).content.decode()
    assert "Delgado, Rosa" in page and "Delgado, Tom" in page and "Attachment, Old" not in page
    assert "Registration reported: a chronic condition that needs regular care" in page
    from care import selectors

    rows = {c.patient.first_name: c.reasons for c in selectors.candidates(care_coordinator)}
    assert any(r.startswith("Aged ") for r in rows["Rosa"]) and not any(r.startswith("Aged ") for r in rows["Tom"])


def test_the_worklist_orders_by_need_level_then_days_without_contact(client, care_coordinator, provider, frailty,
                                                                        kamloops_pcn):
    people = []
    for name, level, last_contact in [("Low", 1, None), ("HighRecent", 4, 1), ("HighSilent", 4, 30)]:
        p = on_panel(provider, last_name=name)
        services.enrol(p, programme=frailty, reason="x", need_level=level, actor=actor(care_coordinator))
        if last_contact:
            services.log_contact(p, contacted_on=timezone.localdate() - datetime.timedelta(days=last_contact),
                                 channel="phone", contacted="patient", minutes=5, outcome="reached",
                                 category="assessment", actor=actor(care_coordinator))
        people.append(p)
    Task.objects.update(due_on=timezone.localdate())
    from care import selectors

    rows, _ = selectors.worklist(care_coordinator, selectors.WorklistQuery())
    assert [t.patient.last_name for t in rows] == ["HighSilent", "HighRecent", "Low"]
    mine, _ = selectors.worklist(care_coordinator, selectors.WorklistQuery(who="queue"))
    assert mine == []
    services.create_task(pcn=kamloops_pcn, title="PCN team meeting notes", due_on=timezone.localdate(),
                         actor=Actor.task("test"))
    queue, _ = selectors.worklist(care_coordinator, selectors.WorklistQuery(who="queue"))
    assert [t.title for t in queue] == ["PCN team meeting notes"]
