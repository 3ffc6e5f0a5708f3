"""Public self-registration at /register/ and staff entry of a caller's registration."""

import datetime
import itertools
import uuid

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from attachment.core.models import AuditEvent
from patients import services
from patients.models import (
    REFERENCE_ALPHABET,
    IdentityConflict,
    Patient,
    Registration,
    RegistrationStatusChange,
)
from registries.models import Community
from tests.conftest import login
from tests.factories import household, next_phn
from tests.patients.helpers import registration_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    # A fresh address per test: registrations are rate-limited per address in the real Redis.
    client.defaults["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    return client


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def submit(client, data, url=None):
        # The confirmation email goes out once the registration is committed.
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url or reverse("patients:register"), data)

    return submit


def test_the_form_is_public_and_accessible(client):
    response = client.get(reverse("patients:register"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_members-0-phn">' in html
    assert "<legend>Languages you would like care in" in html
    assert 'name="submission_token"' in html
    assert "Freedom of Information and Protection of Privacy Act" in html


def test_a_household_of_two_is_registered_with_priority_needs_and_a_code(client, post):
    child_dob = (timezone.localdate() - datetime.timedelta(days=300)).isoformat()
    members = [
        {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1985-03-02", "phn": next_phn()},
        {"first_name": "Mia", "last_name": "Lopez", "date_of_birth": child_dob, "phn": next_phn(), "gender": "F"},
    ]
    response = post(client, registration_post(members, factors=["pregnancy"]))
    assert response.status_code == 302 and response["Location"] == reverse("patients:register_done")

    registration = Registration.objects.get()
    assert registration.household_size == 2
    assert registration.division == Community.objects.get(name="Kamloops").division
    assert registration.status == "waiting" and registration.source == "self"
    # Pregnancy is reported; a child under 2 is worked out from the date of birth.
    assert set(registration.priority_factors) == {"pregnancy", "infant"}
    assert registration.priority == 8 and registration.effective_priority == 8
    assert registration.needs == ["infant", "maternity"]
    assert registration.consent_at and registration.registered_at
    assert registration.postal_code == "V2C1A1" and registration.languages == ["en", "es"]
    assert list(registration.members.order_by("-is_primary_contact").values_list("first_name", flat=True)) == ["Ana", "Mia"]
    assert RegistrationStatusChange.objects.filter(registration=registration, to_status="waiting").exists()
    assert AuditEvent.objects.filter(action="create", object_id=str(registration.pk)).exists()

    done = client.get(reverse("patients:register_done"))
    assert registration.reference_code in done.content.decode()
    assert len(mail.outbox) == 1 and registration.reference_code in mail.outbox[0].body
    assert mail.outbox[0].to == ["ana.lopez@example.org"]


def test_no_email_given_means_no_email_sent(client, post):
    assert post(client, registration_post(email="")).status_code == 302
    assert mail.outbox == []


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"members-0-phn": "9123456789"}, "members-0-phn", "the last digit does not match"),
        ({"members-0-phn": "8123456785"}, "members-0-phn", "begins with 9"),
        ({"members-0-phn": "91234"}, "members-0-phn", "Enter a Personal Health Number with 10 digits"),
        ({"members-0-phn": ""}, "members-0-phn", "Enter the Personal Health Number"),
        ({"members-0-first_name": ""}, "members-0-first_name", "Enter the first name"),
        ({"members-0-date_of_birth": "2999-01-01"}, "members-0-date_of_birth", "Date of birth must be in the past"),
        ({"members-0-date_of_birth": ""}, "members-0-date_of_birth", "Enter your date of birth"),
        ({"phone": "", "email": ""}, "phone", "Enter a phone number or an email address"),
        ({"phone": "555-01"}, "phone", "Enter a phone number with 10 digits"),
        ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
        ({"consent": None}, "consent", "agree to the collection"),
        ({"community": ""}, "community", "Choose the community you live in"),
        ({"address": ""}, "address", "Enter your street address"),
        ({"postal_code": "12345"}, "postal_code", "postal code like"),
    ],
)
def test_bad_input_gives_a_field_message_and_saves_nothing(client, overrides, field, message, post):
    response = post(client, registration_post(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    # The message sits with its field, and the error summary links to it.
    assert f'href="#id_{field}"' in html
    assert Registration.objects.count() == 0 and Patient.objects.count() == 0


def test_the_same_phn_twice_in_one_household_is_refused(client, post):
    phn = next_phn()
    members = [
        {"first_name": "A", "last_name": "B", "date_of_birth": "1980-01-01", "phn": phn},
        {"first_name": "C", "last_name": "B", "date_of_birth": "1981-01-01", "phn": phn},
    ]
    response = post(client, registration_post(members))
    assert response.status_code == 400 and "already entered for another person" in response.content.decode()
    assert Registration.objects.count() == 0


def test_somebody_already_waiting_is_not_told_so_and_is_held_for_a_coordinator(client, post):
    # Issue 16.5: the public form never says a PHN is on the waitlist (it was an oracle); the
    # household gets the usual answer, and the duplicate is held for a coordinator.
    existing = household(1)
    person = existing.members.get()
    members = [{"first_name": person.first_name, "last_name": person.last_name,
                "date_of_birth": str(person.date_of_birth), "phn": person.phn}]
    response = post(client, registration_post(members))
    assert response.status_code == 302 and response["Location"] == reverse("patients:register_done")
    done = client.get(reverse("patients:register_done")).content.decode()
    assert "already" not in done and existing.reference_code not in done
    new = Registration.objects.exclude(pk=existing.pk).get()
    assert new.reference_code in done
    conflict = IdentityConflict.objects.get()
    assert (conflict.registration, conflict.patient, conflict.kind) == (new, person, "duplicate")
    person.refresh_from_db()
    assert person.registration == existing and Patient.objects.filter(phn=person.phn).count() == 1


def test_the_service_refuses_an_open_duplicate_a_coordinator_enters():
    existing = household(1)
    person = existing.members.get()
    with pytest.raises(services.AlreadyRegistered):
        services.register_household(
            services.Household(community=existing.community, phone="2505550100"),
            [services.Member("X", "Y", datetime.date(1990, 1, 1), person.phn)], source=Registration.Source.STAFF,
        )
    assert Registration.objects.count() == 1


def test_a_person_whose_registration_closed_may_register_again(client, post):
    old = household(1, status="withdrawn")
    person = old.members.get()
    # The same person (case, accents and spaces aside): joins the new registration as the registry knows them.
    members = [{"first_name": f"  {person.first_name.upper()} ", "last_name": person.last_name.lower(),
                "date_of_birth": str(person.date_of_birth), "phn": person.phn}]
    assert post(client, registration_post(members)).status_code == 302
    returning = Patient.objects.get(phn=person.phn)
    assert returning.registration.status == "waiting" and not IdentityConflict.objects.exists()
    assert (returning.first_name, returning.last_name) == (person.first_name, person.last_name)


def test_a_double_submit_creates_one_registration(client, post):
    data = registration_post()
    first, second = post(client, data), post(client, data)
    assert first.status_code == second.status_code == 302
    assert Registration.objects.count() == 1
    # The second answer shows the same code, not an "already registered" error.
    assert Registration.objects.get().reference_code in client.get(reverse("patients:register_done")).content.decode()
    assert len(mail.outbox) == 1


def test_the_database_refuses_a_second_registration_with_the_same_token():
    token = "4f1c2d1e-0000-4000-8000-000000000001"
    household(1, submission_token=token)
    with pytest.raises(IntegrityError), transaction.atomic():
        household(1, submission_token=token)


def test_add_another_person_grows_the_form_without_errors_or_saving(client, post):
    data = registration_post()
    data.pop("confirm")
    data["add_member"] = "1"
    response = post(client, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="members-1-phn"' in html and "There is a problem" not in html
    assert 'value="Ana"' in html and data["submission_token"] in html
    assert Registration.objects.count() == 0


def test_reference_codes_are_short_unambiguous_unique_and_not_sequential(client):
    codes = [household(1).reference_code for _ in range(30)]
    assert len(set(codes)) == 30
    for code in codes:
        assert len(code) == 8 and set(code) <= set(REFERENCE_ALPHABET)
        assert not set(code) & set("0O1IL2Z5S8B")
    # Consecutive registrations share no structure: neither ordered nor sharing a prefix.
    assert codes != sorted(codes)
    assert sum(a[:4] == b[:4] for a, b in itertools.pairwise(codes)) == 0


def test_reference_codes_are_drawn_uniformly():
    from patients.models import new_reference_code

    codes = [new_reference_code() for _ in range(5000)]
    assert len(set(codes)) == 5000
    # 5000 draws put each character at each position about 200 times; a skewed or
    # sequential generator would leave some out or pile them up.
    for position in range(8):
        counts = {ch: 0 for ch in REFERENCE_ALPHABET}
        for code in codes:
            counts[code[position]] += 1
        assert min(counts.values()) > 120 and max(counts.values()) < 300


def test_staff_enter_a_registration_for_a_caller(client, coordinator, other_division):
    login(client, coordinator)
    data = registration_post(email="", phone="(250) 555 0177")
    response = client.post(reverse("patients:staff_register"), data)
    registration = Registration.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("patients:registration", args=[registration.pk])
    assert registration.source == "staff" and registration.entered_by == coordinator
    assert registration.phone_digits == "2505550177"
    # Staff can place callers only in their own divisions' communities.
    victoria = Community.objects.get(name="Victoria")
    response = client.post(reverse("patients:staff_register"), registration_post(community=str(victoria.pk)))
    assert response.status_code == 400 and Registration.objects.count() == 1


def test_staff_entry_is_for_coordinators_only(client, manager):
    assert client.get(reverse("patients:staff_register")).status_code == 302
    login(client, manager)
    assert client.get(reverse("patients:staff_register")).status_code == 403


def test_the_confirmation_page_shows_nothing_without_a_registration(client):
    assert client.get(reverse("patients:register_done"))["Location"] == reverse("patients:register")
