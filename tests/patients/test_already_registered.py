"""The "already registered" path and /register/ tell a stranger nothing: the same bytes and
indistinguishable time whether a PHN is on the waitlist or not, the reference code only
ever sent to the email on file, and both rate-limited in the strict cache."""

import datetime
import random

import pytest
from django.core import mail
from django.urls import reverse

from attachment.core.models import AuditEvent
from patients.models import IdentityConflict, Registration
from registries.phn import make_phn
from tests.factories import PatientFactory, RegistrationFactory, household, next_phn
from tests.patients.helpers import registration_post
from tests.patients.test_public_lookups import body, differs, fresh_address

pytestmark = pytest.mark.django_db


def random_phn() -> str:
    """A PHN never tried before: the limits per PHN live in the real Redis, which outlives
    a test run (next_phn starts from the same serial every run)."""
    while True:
        phn = make_phn(random.randrange(10_000_000, 99_999_999))
        if phn:
            return phn

DOB = datetime.date(1980, 5, 17)  # the factories' date of birth


@pytest.fixture
def client(client, settings):
    client.defaults["REMOTE_ADDR"] = fresh_address()
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0
    return client


def waiting_household(size=1, **fields):
    registration = RegistrationFactory(household_size=size, **fields)
    for i in range(size):
        PatientFactory(registration=registration, is_primary_contact=i == 0, phn=random_phn())
    return registration


@pytest.fixture
def eager():
    """The code is sent by a Celery task; here it runs in this process, on commit."""
    from attachment.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def ask(client, phn, dob=DOB):
    return client.post(reverse("patients:already_registered"), {"phn": phn, "date_of_birth": str(dob)})


def test_a_match_sends_the_code_to_the_email_on_file_and_the_page_says_the_same_as_for_nobody(
        client, django_capture_on_commit_callbacks, eager):
    registration = waiting_household(2, email="household@example.org", language="fr")
    member = registration.members.first()
    with django_capture_on_commit_callbacks(execute=True):
        known = ask(client, member.phn)
        unknown = ask(client, random_phn())
        wrong_dob = ask(client, member.phn, datetime.date(1999, 1, 1))
    assert known.status_code == unknown.status_code == wrong_dob.status_code == 200
    assert body(known) == body(unknown) == body(wrong_dob)
    assert member.phn not in body(known) and registration.reference_code not in body(known)
    # Only the household's own inbox learns anything, in its own language.
    assert [m.to for m in mail.outbox] == [["household@example.org"]]
    assert registration.reference_code in mail.outbox[0].body and "code de référence" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(object_id=str(registration.pk), summary__contains="asked for again").count() == 1


def test_without_an_email_the_code_goes_by_text_and_a_closed_registration_gets_nothing(
        client, django_capture_on_commit_callbacks, settings, eager):
    from patients import otp

    settings.ATTACH_SMS_BACKEND = "locmem"
    otp.outbox.clear()
    closed = waiting_household(1, email="gone@example.org", status="withdrawn")
    by_phone = waiting_household(1, email="", phone="250-555-0147", language="zh-hant")
    unreachable = waiting_household(1, email="", phone="")
    with django_capture_on_commit_callbacks(execute=True):
        for registration in (closed, by_phone, unreachable):
            ask(client, registration.members.get().phn)
    assert mail.outbox == []
    assert [m["to"] for m in otp.outbox] == ["250-555-0147"]
    assert by_phone.reference_code in otp.outbox[0]["body"] and "參考編號" in otp.outbox[0]["body"]


def test_the_path_is_rate_limited_per_address_and_per_phn(client, settings):
    settings.ATTACH_LOOKUP_RATE = "3/15m"
    phn = random_phn()
    for _ in range(3):
        assert ask(client, phn).status_code == 200
    refused = ask(client, phn)
    assert refused.status_code == 429 and "Too many tries" in refused.content.decode()
    # The PHN's budget holds from any address: a crowd of addresses cannot go on guessing it.
    client.defaults["REMOTE_ADDR"] = fresh_address()
    assert ask(client, phn).status_code == 429
    # An unknown PHN and a known one are refused alike (every try counts, right or wrong).
    known = waiting_household(1).members.get().phn
    client.defaults["REMOTE_ADDR"] = fresh_address()
    for _ in range(3):
        ask(client, known)
    assert ask(client, known).status_code == 429


def test_a_bad_phn_is_a_field_message_and_not_a_try(client, settings):
    settings.ATTACH_LOOKUP_RATE = "1/15m"
    page = ask(client, "12345").content.decode()
    assert 'href="#id_phn">Enter a Personal Health Number with 10 digits</a>' in page
    assert ask(client, random_phn()).status_code == 200  # the budget of one was not spent


def test_the_already_registered_page_takes_the_same_time_either_way(client, settings):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0.02
    settings.ATTACH_LOOKUP_RATE = "100000/15m"
    known = waiting_household(1, email="household@example.org").members.get().phn
    strangers = iter([random_phn() for _ in range(1000)])
    # Queueing is on commit: with no transaction it runs at once, inside the timed request
    # (the broker is the real Redis), as it does in production.
    assert not differs(lambda: ask(client, known), lambda: ask(client, next(strangers)), tries=60)


def test_registering_a_phn_on_the_waitlist_looks_and_takes_the_same_as_a_new_one(client, settings,
                                                                                 django_capture_on_commit_callbacks):
    """A stranger registering someone else's PHN learns nothing: the same redirect, the
    same confirmation page (with their own code), in the same time; the registration is
    held for a coordinator (patients.identity)."""
    settings.ATTACH_REGISTER_RATE = "100000/h"
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0.12
    waiting = household(1)
    known_phn = waiting.members.get().phn

    def register(phn):
        data = registration_post([{"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1985-03-02",
                                   "phn": phn}])
        return client.post(reverse("patients:register"), data)

    known, new = register(known_phn), register(next_phn())
    assert known.status_code == new.status_code == 302 and known["Location"] == new["Location"]
    assert IdentityConflict.objects.filter(patient__phn=known_phn).count() == 1
    pages = []
    for response in (known, new):
        client.cookies.pop("attach_household", None)
        session = client.session
        registration = Registration.objects.order_by("-pk")[0 if response is new else 1]
        session["registered_id"] = registration.pk
        session.save()
        page = body(client.get(reverse("patients:register_done")))
        code = registration.reference_code
        pages.append(page.replace(code, "CODE").replace(" ".join(code), "CODE"))
    assert pages[0] == pages[1]
    fresh = iter([next_phn() for _ in range(500)])
    assert not differs(lambda: register(known_phn), lambda: register(next(fresh)), tries=25)


def test_register_refuses_politely_when_the_strict_limit_cache_is_down(client, settings):
    """The limits are in the strict cache: with Redis out of reach the page says 503, it
    never lets every registration through uncounted."""
    settings.CACHES = {**settings.CACHES, "ratelimit": {**settings.CACHES["ratelimit"],
                                                         "LOCATION": "redis://127.0.0.1:1/0"}}
    response = client.post(reverse("patients:register"), registration_post())
    assert response.status_code == 503 and Registration.objects.count() == 0
    assert ask(client, random_phn()).status_code == 503
