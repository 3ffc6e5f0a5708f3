"""The coordinators' waitlist, registration page and the changes made there."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from attachment.core.models import AuditEvent
from patients import services
from patients.models import ContactNote, Patient, Registration
from registries.models import Community
from tests.conftest import login
from tests.factories import PatientFactory, RegistrationFactory, household

pytestmark = pytest.mark.django_db


def refs(response):
    return [r.reference_code for r in response.context["rows"]]


@pytest.fixture
def victoria_household(other_division):
    return household(1, community=Community.objects.get(name="Victoria"), phone="250-555-0999")


def test_only_coordinators_see_the_waitlist(client, manager, moa):
    assert client.get(reverse("patients:waitlist"))["Location"].startswith("/accounts/login/")
    for user in (manager, moa):
        login(client, user)
        assert client.get(reverse("patients:waitlist")).status_code == 403
        assert client.get(reverse("patients:call_list")).status_code == 403


def test_a_coordinator_sees_only_their_divisions_by_list_url_and_search(client, coordinator, victoria_household):
    mine = household(1)
    login(client, coordinator)
    assert refs(client.get(reverse("patients:waitlist"))) == [mine.reference_code]
    assert client.get(reverse("patients:registration", args=[victoria_household.pk])).status_code == 404
    assert client.get(reverse("patients:edit", args=[victoria_household.pk])).status_code == 404
    assert client.post(reverse("patients:add_note", args=[victoria_household.pk]),
                       {"kind": "call", "outcome": "reached"}).status_code == 404
    assert client.post(reverse("patients:withdraw", args=[victoria_household.pk]),
                       {"reason": "asked_to_be_removed"}).status_code == 404
    person = victoria_household.members.get()
    for q in (victoria_household.reference_code, person.phn, person.last_name, "250-555-0999"):
        assert refs(client.get(reverse("patients:waitlist"), {"q": q})) == [], q
    assert not ContactNote.objects.exists()
    assert Registration.objects.get(pk=victoria_household.pk).status == "waiting"


def test_search_by_name_phn_reference_code_and_phone(client, coordinator):
    target = RegistrationFactory(phone="(250) 555-0123", household_size=2)
    PatientFactory(registration=target, first_name="Marguerite", last_name="Okonkwo-Hale", is_primary_contact=True)
    other = PatientFactory(registration=target, first_name="Tobias", last_name="Okonkwo-Hale")
    household(3)
    login(client, coordinator)
    for q in ("okonkwo", "Marg", "tobias okonkwo", other.phn, f"{other.phn[:4]} {other.phn[4:]}",
              target.reference_code.lower(), "250 555 0123", "1-250-555-0123"):
        assert refs(client.get(reverse("patients:waitlist"), {"q": q})) == [target.reference_code], q
    assert refs(client.get(reverse("patients:waitlist"), {"q": "nobody-by-this-name"})) == []
    event = AuditEvent.objects.filter(action="search", user=coordinator).first()
    assert event is not None and "Waitlist search" in event.summary
    client.get(reverse("patients:waitlist"), {"factor": "pregnancy"})
    assert AuditEvent.objects.filter(action="view", user=coordinator, summary__contains="factor=pregnancy").exists()


def test_search_finds_closed_registrations_too(client, coordinator):
    withdrawn = household(1, status="withdrawn")
    login(client, coordinator)
    assert refs(client.get(reverse("patients:waitlist"))) == []
    assert refs(client.get(reverse("patients:waitlist"), {"q": withdrawn.reference_code})) == [withdrawn.reference_code]


def test_filters_and_sorting(client, coordinator):
    now = timezone.now()
    old_low = household(1, registered_at=now - datetime.timedelta(days=400), languages=["pa"])
    new_high = household(1, registered_at=now - datetime.timedelta(days=5), priority=6,
                         priority_factors=["pregnancy", "chronic_condition"])
    mid = household(1, registered_at=now - datetime.timedelta(days=100), priority=2,
                    priority_factors=["chronic_condition"], suspended_at=now,
                    community=Community.objects.get(name="Chase"))
    offered = household(1, status="offered", registered_at=now - datetime.timedelta(days=50))
    closed = household(1, status="attached")
    login(client, coordinator)
    url = reverse("patients:waitlist")
    assert refs(client.get(url)) == [new_high.reference_code, mid.reference_code, old_low.reference_code,
                                     offered.reference_code]
    assert refs(client.get(url, {"sort": "wait"})) == [old_low.reference_code, mid.reference_code,
                                                       offered.reference_code, new_high.reference_code]
    assert refs(client.get(url, {"factor": "chronic_condition"})) == [new_high.reference_code, mid.reference_code]
    assert refs(client.get(url, {"language": "pa"})) == [old_low.reference_code]
    assert refs(client.get(url, {"waited_days": "90"})) == [mid.reference_code, old_low.reference_code]
    assert refs(client.get(url, {"status": "offered"})) == [offered.reference_code]
    assert refs(client.get(url, {"status": "attached"})) == [closed.reference_code]
    assert refs(client.get(url, {"suspended": "yes"})) == [mid.reference_code]
    assert mid.reference_code not in refs(client.get(url, {"suspended": "no"}))
    assert len(refs(client.get(url, {"status": "all"}))) == 5
    assert refs(client.get(url, {"community": str(mid.community_id)})) == [mid.reference_code]
    assert refs(client.get(url, {"community": str(mid.community_id), "factor": "pregnancy"})) == []
    assert refs(client.get(url, {"community": str(new_high.community_id), "factor": "pregnancy"})) == [
        new_high.reference_code]


def test_pagination_without_counting(client, coordinator, django_assert_max_num_queries):
    from patients.selectors import PAGE_SIZE

    for i in range(PAGE_SIZE + 3):
        household(1, registered_at=timezone.now() - datetime.timedelta(days=i + 1))
    login(client, coordinator)
    first = client.get(reverse("patients:waitlist"))
    assert len(refs(first)) == PAGE_SIZE and first.context["has_next"]
    second = client.get(reverse("patients:waitlist"), {"page": "2"})
    assert len(refs(second)) == 3 and not second.context["has_next"]
    assert not set(refs(first)) & set(refs(second))
    # No query per row, and no COUNT(*): session, user, roles, scope, the page, its members.
    with django_assert_max_num_queries(10) as queries:
        client.get(reverse("patients:waitlist"))
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def test_every_view_of_a_registration_page_is_audited(client, coordinator):
    registration = household(2)
    login(client, coordinator)
    for _ in range(2):
        response = client.get(reverse("patients:registration", args=[registration.pk]))
        assert response.status_code == 200
    html = response.content.decode()
    for member in registration.members.all():
        assert member.phn in html
    assert AuditEvent.objects.filter(action="view", user=coordinator, object_type="patients.Registration",
                                     object_id=str(registration.pk)).count() == 2


def test_correcting_details_is_audited_with_the_diffs(client, coordinator):
    registration = household(2)
    person = registration.members.order_by("-is_primary_contact", "id").first()
    other = registration.members.exclude(pk=person.pk).get()
    login(client, coordinator)
    page = client.get(reverse("patients:edit", args=[registration.pk]))
    assert page.status_code == 200
    data = {
        "phone": "250-555-0111", "email": registration.email, "address": "9 New Street", "postal_code": "V2C 2B2",
        "community": str(registration.community_id), "languages": ["en"], "preferred_provider_gender": "",
        "priority_factors": ["mental_health"], "reason": "Caller moved",
        "members-TOTAL_FORMS": "2", "members-INITIAL_FORMS": "2",
        "members-0-id": str(person.pk), "members-0-first_name": "Corrected", "members-0-last_name": person.last_name,
        "members-0-date_of_birth": str(person.date_of_birth), "members-0-phn": person.phn, "members-0-gender": "",
        "members-1-id": str(other.pk), "members-1-first_name": other.first_name, "members-1-last_name": other.last_name,
        "members-1-date_of_birth": str(other.date_of_birth), "members-1-phn": other.phn, "members-1-gender": "",
    }
    response = client.post(reverse("patients:edit", args=[registration.pk]), data)
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.phone == "250-555-0111" and registration.priority == 2 and registration.needs == ["mental_health"]
    event = AuditEvent.objects.get(action="update", object_type="patients.Registration")
    assert event.changes["phone"] == ["250-555-0199", "250-555-0111"]
    assert event.changes["address"][1] == "9 New Street" and event.reason == "Caller moved"
    person_event = AuditEvent.objects.get(action="update", object_type="patients.Patient")
    assert person_event.changes == {"first_name": [person.first_name, "Corrected"]}


def test_a_bad_correction_saves_nothing(client, coordinator):
    registration = household(1)
    person = registration.members.get()
    login(client, coordinator)
    data = {
        "phone": "", "email": "", "address": "x", "postal_code": "", "community": str(registration.community_id),
        "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "1", "members-0-id": str(person.pk),
        "members-0-first_name": "X", "members-0-last_name": "Y", "members-0-date_of_birth": "1980-01-01",
        "members-0-phn": "9999999999",
    }
    response = client.post(reverse("patients:edit", args=[registration.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Keep a phone number or an email address" in html and "check digit" in html
    person.refresh_from_db()
    assert person.first_name != "X" and not AuditEvent.objects.filter(action="update").exists()


def test_contact_attempts_suspend_and_getting_in_touch_restores_the_place(client, coordinator, settings):
    settings.ATTACH_CONTACT_ATTEMPTS_BEFORE_SUSPEND = 3
    registration = household(1)
    registered_at = registration.registered_at
    login(client, coordinator)
    url = reverse("patients:add_note", args=[registration.pk])
    for outcome in ("no_answer", "left_message"):
        assert client.post(url, {"kind": "call", "outcome": outcome}).status_code == 302
    registration.refresh_from_db()
    assert registration.suspended_at is None
    client.post(url, {"kind": "letter", "outcome": "no_reply", "note": "Letter to last address"})
    registration.refresh_from_db()
    assert registration.suspended_at is not None and registration.status == "waiting"
    assert registration.registered_at == registered_at
    assert AuditEvent.objects.filter(summary__startswith="Suspended after 3").exists()

    client.post(url, {"kind": "call", "outcome": "they_contacted", "note": "Called back"})
    registration.refresh_from_db()
    assert registration.suspended_at is None and registration.registered_at == registered_at
    assert AuditEvent.objects.filter(summary__startswith="Suspension lifted").exists()
    # After being in touch the count starts again.
    assert services.failed_attempts(registration) == 0
    page = client.get(reverse("patients:registration", args=[registration.pk])).content.decode()
    assert "Letter to last address" in page and "Called back" in page
    assert AuditEvent.objects.filter(action="create", summary__startswith="Contact note").count() == 4


def test_a_contact_note_needs_a_kind_and_outcome(client, coordinator):
    registration = household(1)
    login(client, coordinator)
    response = client.post(reverse("patients:add_note", args=[registration.pk]), {"kind": "fax"})
    assert response.status_code == 400 and not ContactNote.objects.exists()


def test_withdraw_and_mark_ineligible_need_a_reason_and_are_recorded(client, coordinator):
    a, b = household(1), household(1)
    login(client, coordinator)
    assert client.post(reverse("patients:withdraw", args=[a.pk]), {"reason": ""}).status_code == 400
    assert client.post(reverse("patients:withdraw", args=[a.pk]), {"reason": "other"}).status_code == 400
    client.post(reverse("patients:withdraw", args=[a.pk]), {"reason": "found_own_provider"})
    client.post(reverse("patients:ineligible", args=[b.pk]), {"reason": "moved_away", "detail": "To Alberta"})
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == "withdrawn" and b.status == "ineligible"
    assert b.status_history.last().reason == "Moved out of the province or region: To Alberta"
    assert AuditEvent.objects.filter(action="status", object_id=str(a.pk), user=coordinator).exists()
    # Withdrawn registrations leave the default (open) list.
    assert refs(client.get(reverse("patients:waitlist"))) == []


def test_priority_override_needs_a_reason_is_audited_and_ranks(client, coordinator):
    low, high = household(1, priority=0), household(1, priority=4, priority_factors=["pregnancy"])
    login(client, coordinator)
    url = reverse("patients:priority", args=[low.pk])
    assert client.post(url, {"value": "9", "reason": ""}).status_code == 400
    assert client.post(url, {"value": "9", "reason": "Urgent per public health nurse"}).status_code == 302
    low.refresh_from_db()
    assert low.effective_priority == 9 and low.priority == 0
    assert refs(client.get(reverse("patients:waitlist")))[:2] == [low.reference_code, high.reference_code]
    event = AuditEvent.objects.get(summary="Priority override set")
    assert event.changes["priority_override"] == [None, 9] and event.reason == "Urgent per public health nurse"
    client.post(url, {"value": "", "reason": ""})
    low.refresh_from_db()
    assert low.priority_override is None and low.effective_priority == 0


def test_the_registration_page_shows_priority_reasons_history_and_household(client, coordinator):
    registration = household(2, priority=6, priority_factors=["pregnancy", "chronic_condition"])
    # Steps taken by nobody in particular (the public, the matching job, a reminder email).
    services.set_status(registration, "offered", by=None, reason="Matched")
    services.set_status(registration, "waiting", by=coordinator, reason="Clinic declined")
    ContactNote.objects.create(registration=registration, kind="email", outcome="sent", is_reminder=True)
    login(client, coordinator)
    html = client.get(reverse("patients:registration", args=[registration.pk])).content.decode()
    assert "Pregnant (+4)" in html and "A chronic condition that needs regular care (+2)" in html
    assert "Matched" in html and "Clinic declined" in html and "Sent (reminder)" in html
    for m in Patient.objects.filter(registration=registration):
        assert m.first_name in html


def test_a_name_search_needs_three_letters(client, coordinator):
    household(1)
    login(client, coordinator)
    response = client.get(reverse("patients:waitlist"), {"q": "Li"})
    assert "Type at least 3 letters of a name" in response.content.decode()
    assert not AuditEvent.objects.filter(action="search").exists()
    assert refs(response) == [r.reference_code for r in Registration.objects.all()]


def test_the_database_keeps_the_household_names_searchable():
    registration = household(2)
    first, second = registration.members.order_by("-is_primary_contact", "id")
    registration.refresh_from_db()
    assert registration.search_names == (
        f"{first.last_name} {first.first_name} | {second.last_name} {second.first_name}".upper())
    # Renaming a person, moving them to another household, deleting them: all followed.
    Patient.objects.filter(pk=first.pk).update(first_name="Zebulon")
    other = household(1)
    Patient.objects.filter(pk=second.pk).update(registration=other)
    registration.refresh_from_db()
    other.refresh_from_db()
    assert registration.search_names == f"{first.last_name} Zebulon".upper()
    assert f"{second.last_name} {second.first_name}".upper() in other.search_names
    Patient.objects.filter(pk=second.pk).delete()
    other.refresh_from_db()
    assert f"{second.first_name}".upper() not in other.search_names
    # A full save from a stale instance cannot overwrite what the database keeps.
    stale = Registration.objects.get(pk=registration.pk)
    stale.search_names = "SOMETHING ELSE"
    stale.address = "1 Stale Road"
    stale.save()
    registration.refresh_from_db()
    assert registration.search_names == f"{first.last_name} Zebulon".upper() and registration.address == "1 Stale Road"


def test_a_phn_in_another_scripts_digits_is_refused_in_words_not_a_crash(client, coordinator):
    registration = household(1)
    person = registration.members.get()
    login(client, coordinator)
    arabic_indic = "9" + "".join(chr(0x0660 + int(d)) for d in person.phn[1:])
    data = {
        "phone": registration.phone, "email": registration.email, "address": "x", "postal_code": "",
        "community": str(registration.community_id),
        "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "1", "members-0-id": str(person.pk),
        "members-0-first_name": person.first_name, "members-0-last_name": person.last_name,
        "members-0-date_of_birth": str(person.date_of_birth), "members-0-phn": arabic_indic,
    }
    response = client.post(reverse("patients:edit", args=[registration.pk]), data)
    assert response.status_code == 400 and "has 10 digits" in response.content.decode()
    person.refresh_from_db()
    assert person.phn.isascii()
