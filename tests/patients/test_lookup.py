"""Public status lookup at /status/ and patients.lookup.verify."""

import datetime
import re
import uuid

import pytest
from django.urls import reverse

from attachment.core.models import AuditEvent
from patients.lookup import verify
from patients.models import new_reference_code
from tests.factories import household

pytestmark = pytest.mark.django_db
DOB = datetime.date(1980, 5, 17)  # the factories' date of birth


@pytest.fixture
def client(client):
    # A fresh address per test: the rate limit lives in the real Redis cache and must
    # not carry over between tests (or between engineers' runs on the same Redis).
    client.defaults["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    return client


def lookup(client, code, dob):
    return client.post(reverse("patients:status"), {"reference_code": code, "date_of_birth": str(dob)})


def body(response) -> str:
    # The CSRF token is random in every response; everything else must match byte for byte.
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_verify_needs_the_code_and_a_household_date_of_birth():
    registration = household(2)
    assert verify(registration.reference_code, DOB) == registration
    assert verify(registration.reference_code.lower()[:4] + "-" + registration.reference_code[4:], DOB) == registration
    assert verify(registration.reference_code, DOB + datetime.timedelta(days=1)) is None
    assert verify(new_reference_code(), DOB) is None
    assert verify("", DOB) is None


def test_verify_runs_the_same_single_query_whichever_part_is_wrong(django_assert_num_queries):
    registration = household(1)
    with django_assert_num_queries(1) as wrong_code:
        verify(new_reference_code(), DOB)
    with django_assert_num_queries(1) as wrong_dob:
        verify(registration.reference_code, datetime.date(1999, 1, 1))
    def normalise(sql):
        return re.sub(r"'[^']*'|\d{4}-\d\d-\d\d", "?", sql)

    assert normalise(wrong_code.captured_queries[0]["sql"]) == normalise(wrong_dob.captured_queries[0]["sql"])


def test_the_answer_is_the_status_in_plain_words_and_the_wait_only(client):
    registration = household(2, phone="250-555-0100")
    response = lookup(client, registration.reference_code, DOB)
    html = response.content.decode()
    assert response.status_code == 200
    assert "You are on the waitlist." in html and "Registered 30 days ago" in html
    for member in registration.members.all():
        assert member.last_name not in html and member.phn not in html
    assert "250-555-0100" not in html
    assert AuditEvent.objects.filter(action="view", object_id=str(registration.pk), user=None).exists()


@pytest.mark.parametrize(
    "status, words",
    [
        ("offered", "A provider has been found. The clinic will contact you."),
        ("attached", "You are attached"),
        ("withdrawn", "no longer on the waitlist"),
        ("ineligible", "no longer on the waitlist"),
    ],
)
def test_each_status_in_plain_words(client, status, words):
    registration = household(1, status=status)
    assert words in lookup(client, registration.reference_code, DOB).content.decode()


def test_wrong_code_and_wrong_date_of_birth_get_the_identical_answer(client):
    registration = household(1)
    wrong_code = lookup(client, new_reference_code(), DOB)
    wrong_dob = lookup(client, registration.reference_code, datetime.date(1999, 1, 1))
    assert wrong_code.status_code == wrong_dob.status_code == 200
    assert body(wrong_code) == body(wrong_dob)
    assert "could not find a registration" in body(wrong_code)
    assert registration.reference_code not in body(wrong_dob)


def test_failures_from_one_address_are_refused_for_a_while(client, settings):
    settings.ATTACH_LOOKUP_RATE = "3/15m"
    registration = household(1)
    for _ in range(3):
        assert lookup(client, new_reference_code(), DOB).status_code == 200
    # Even the right code and date are refused now: guessing must not pay off.
    refused = lookup(client, registration.reference_code, DOB)
    assert refused.status_code == 429 and "Too many tries" in refused.content.decode()
    assert "You are on the waitlist" not in refused.content.decode()


def test_failures_for_one_code_are_refused_from_any_address(client, settings):
    settings.ATTACH_LOOKUP_RATE = "3/15m"
    registration = household(1)
    for i in range(3):
        client.defaults["REMOTE_ADDR"] = f"172.{16 + i}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
        assert lookup(client, registration.reference_code, datetime.date(2001, 1, i + 1)).status_code == 200
    client.defaults["REMOTE_ADDR"] = f"198.51.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    assert lookup(client, registration.reference_code, DOB).status_code == 429


def test_successful_lookups_do_not_count_against_the_limit(client, settings):
    settings.ATTACH_LOOKUP_RATE = "2/15m"
    registration = household(1)
    for _ in range(4):
        assert "You are on the waitlist." in lookup(client, registration.reference_code, DOB).content.decode()


def test_a_missing_date_is_a_field_error_not_a_failed_try(client):
    response = client.post(reverse("patients:status"), {"reference_code": "ACDEFGHJ"})
    assert response.status_code == 200 and "Enter your date of birth" in response.content.decode()
