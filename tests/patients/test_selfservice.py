"""The household's self-service: proved by reference code, a date of birth and a one-time code;
its changes audited as the registrant's with priority recomputed; the one-time code expires,
is used once and is rate-limited; the access log shows roles and organisations, never names,
and only to the household; and the first step is no oracle (same words, same time)."""

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attachment.celery import app as celery_app
from attachment.core.models import AuditEvent
from patients import otp
from patients.models import (
    IdentityConflict,
    OneTimeCode,
    Patient,
    Registration,
    SelfServiceChange,
    new_reference_code,
)
from patients.priority import compute_priority
from tests.conftest import login
from tests.factories import PatientFactory, household, next_phn
from tests.patients.test_public_lookups import differs, fresh_address

pytestmark = pytest.mark.django_db
DOB = datetime.date(1980, 5, 17)
WRONG_DOB = datetime.date(1999, 1, 1)


@pytest.fixture(autouse=True)
def fast(settings):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0
    settings.ATTACH_LOOKUP_RATE = "1000/15m"
    settings.ATTACH_OTP_SEND_RATE = "1000/h"
    settings.ATTACH_SMS_BACKEND = "locmem"
    otp.outbox.clear()
    # The code is drawn and sent by a Celery task; here it runs in this process, on commit.
    celery_app.conf.task_always_eager = True
    yield settings
    celery_app.conf.task_always_eager = False


@pytest.fixture
def client(client):
    client.defaults["REMOTE_ADDR"] = fresh_address()  # the limits live in the real Redis
    return client


def start(client, registration, dob=DOB):
    code = registration.reference_code if isinstance(registration, Registration) else registration
    return client.post(reverse("patients:self_start"), {"reference_code": code, "date_of_birth": str(dob)})


def sent_code() -> str:
    texts = [m.body for m in mail.outbox] + [m["body"] for m in otp.outbox]
    return re.findall(r"\b(\d{6})\b", texts[-1])[-1]


def prove(client, registration, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert start(client, registration).status_code == 302
    response = client.post(reverse("patients:self_code"), {"code": sent_code()})
    assert response.status_code == 302 and response.url == reverse("patients:self_household")
    return client


# --- the proof ---------------------------------------------------------------------------


def test_the_code_goes_to_the_email_on_file_and_opens_the_page(client, django_capture_on_commit_callbacks):
    registration = household(2)
    prove(client, registration, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == [registration.email]
    row = OneTimeCode.objects.get(registration=registration)
    assert row.code_hash and sent_code() not in row.code_hash  # stored as a keyed hash only
    page = client.get(reverse("patients:self_household"))
    assert page.status_code == 200
    assert registration.reference_code in page.content.decode()
    assert "no-store" in page["Cache-Control"]  # a shared computer's back button shows nothing


def test_without_an_email_the_code_goes_by_text_message(client, django_capture_on_commit_callbacks):
    registration = household(1, email="", phone="250-555-0147")
    prove(client, registration, django_capture_on_commit_callbacks)
    assert otp.outbox[-1]["to"] == "250-555-0147" and not mail.outbox


def test_a_wrong_date_of_birth_gets_the_same_page_and_sends_nothing(client, django_capture_on_commit_callbacks):
    registration = household(1)
    with django_capture_on_commit_callbacks(execute=True):
        right = start(client, registration)
    other = client.__class__(REMOTE_ADDR=fresh_address())
    with django_capture_on_commit_callbacks(execute=True):
        wrong = start(other, registration, dob=WRONG_DOB)
        stranger = start(other, "ACDEFGHJ")
    assert right.status_code == wrong.status_code == stranger.status_code == 302
    assert right.url == wrong.url == stranger.url
    assert len(mail.outbox) == 1  # only the household's own request sent a code
    assert other.post(reverse("patients:self_code"), {"code": "123456"}).status_code == 200


def test_the_code_is_used_once(client, django_capture_on_commit_callbacks):
    registration = household(1)
    with django_capture_on_commit_callbacks(execute=True):
        start(client, registration)
    code = sent_code()
    assert client.post(reverse("patients:self_code"), {"code": code}).status_code == 302
    # The same browser, a new ticket for the same code: refused (the code was used).
    session = client.session
    session["self_service_ticket"] = "another-ticket"
    session.save()
    again = client.post(reverse("patients:self_code"), {"code": code})
    assert again.status_code == 200 and "not right, or it has expired" in again.content.decode()
    row = OneTimeCode.objects.get(registration=registration)
    assert row.used_at is not None


def test_the_code_expires(client, django_capture_on_commit_callbacks):
    registration = household(1)
    with django_capture_on_commit_callbacks(execute=True):
        start(client, registration)
    row = OneTimeCode.objects.get(registration=registration)
    assert row.expires_at - row.sent_at == datetime.timedelta(minutes=10)
    OneTimeCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post(reverse("patients:self_code"), {"code": sent_code()})
    assert response.status_code == 200 and "expired" in response.content.decode()
    assert client.get(reverse("patients:self_household")).status_code == 404


def test_wrong_codes_are_limited_per_ticket_even_the_right_one_after(client, settings,
                                                                   django_capture_on_commit_callbacks):
    settings.ATTACH_OTP_ATTEMPTS = 3
    registration = household(1)
    with django_capture_on_commit_callbacks(execute=True):
        start(client, registration)
    code = sent_code()
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(3):
        assert client.post(reverse("patients:self_code"), {"code": wrong}).status_code == 200
    assert client.post(reverse("patients:self_code"), {"code": code}).status_code == 429
    assert client.get(reverse("patients:self_household")).status_code == 404


def test_a_strangers_ticket_is_limited_the_same_way(client, settings, django_capture_on_commit_callbacks):
    settings.ATTACH_OTP_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        start(client, "ACDEFGHJ")
    for _ in range(3):
        assert client.post(reverse("patients:self_code"), {"code": "000000"}).status_code == 200
    assert client.post(reverse("patients:self_code"), {"code": "000000"}).status_code == 429


def test_codes_sent_per_household_are_limited(client, settings, django_capture_on_commit_callbacks):
    settings.ATTACH_OTP_SEND_RATE = "2/h"
    registration = household(1)
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            assert start(client, registration).status_code == 302  # the same answer every time
    assert len(mail.outbox) == 2


def test_a_redelivered_send_task_sends_nothing_twice(client, django_capture_on_commit_callbacks):
    registration = household(1)
    with django_capture_on_commit_callbacks(execute=True):
        start(client, registration)
    row = OneTimeCode.objects.get(registration=registration)
    assert otp.request_and_deliver(registration.pk, row.ticket_hash) is False  # the same message again
    assert otp.deliver(row.pk) is False
    assert OneTimeCode.objects.filter(registration=registration).count() == 1 and len(mail.outbox) == 1


def test_a_match_and_a_miss_do_the_same_work_in_the_request(client, django_capture_on_commit_callbacks):
    """The same queries and one queued task each: the work that would outlast the padding on
    a slow server (making the row, the send limit) happens in the task, for a match only."""
    registration = household(1)
    work = {}
    for label, code in (("match", registration), ("miss", "ACDEFGHJ")):
        with CaptureQueriesContext(connection) as queries, \
                django_capture_on_commit_callbacks(execute=False) as queued:
            assert start(client.__class__(REMOTE_ADDR=fresh_address()), code).status_code == 302
        # The statements' shapes: their values and savepoint names differ by nature.
        shapes = [re.sub(r"'[^']*'|\"s\d+_x\d+\"", "?", q["sql"]) for q in queries.captured_queries]
        work[label] = (shapes, len(queued))
    assert work["match"] == work["miss"] and work["match"][1] == 1
    assert not OneTimeCode.objects.exists()  # nothing made until the task runs


def test_the_page_is_only_for_the_household(client, django_capture_on_commit_callbacks):
    mine, theirs = household(1), household(1)
    assert client.get(reverse("patients:self_household")).status_code == 404
    prove(client, mine, django_capture_on_commit_callbacks)
    page = client.get(reverse("patients:self_household")).content.decode()
    assert mine.reference_code in page and theirs.reference_code not in page
    client.post(reverse("patients:self_sign_out"))
    assert client.get(reverse("patients:self_household")).status_code == 404


# --- the changes -------------------------------------------------------------------------


def test_changing_health_needs_recomputes_priority_audited_as_the_registrants(
        client, coordinator, django_capture_on_commit_callbacks):
    registration = household(1)
    prove(client, registration, django_capture_on_commit_callbacks)
    response = client.post(reverse("patients:self_needs"), {"factors": ["pregnancy", "mental_health"]})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.priority == compute_priority(["pregnancy", "mental_health"]).value == 6
    assert "maternity" in registration.needs
    event = AuditEvent.objects.filter(object_type="patients.Registration", object_id=str(registration.pk),
                                      action="update").latest("pk")
    assert event.user is None and "self-service by the household" in event.summary
    assert event.changes["priority"] == [0, 6]
    # The coordinator sees what changed and when.
    coordinator_client = login(client.__class__(), coordinator)
    page = coordinator_client.get(reverse("patients:registration", args=[registration.pk])).content.decode()
    assert "Changed by the household" in page and "priority 0 → 6" in page


def test_updating_contact_details(client, django_capture_on_commit_callbacks):
    registration = household(1)
    prove(client, registration, django_capture_on_commit_callbacks)
    response = client.post(reverse("patients:self_contact"), {"phone": "604-555-0111", "email": "new@example.org",
                                                              "address": "1 New St", "postal_code": "v2c 1a1"})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert (registration.phone, registration.email, registration.postal_code) == (
        "604-555-0111", "new@example.org", "V2C1A1")
    change = SelfServiceChange.objects.get(registration=registration)
    assert change.kind == "contact" and change.changes["email"][1] == "new@example.org"
    # Neither phone nor email: refused, nothing saved.
    refused = client.post(reverse("patients:self_contact"), {"phone": "", "email": "", "address": "", "postal_code": ""})
    assert refused.status_code == 400
    registration.refresh_from_db()
    assert registration.email == "new@example.org"


def test_adding_a_newborn_grows_the_household_and_its_priority(client, django_capture_on_commit_callbacks):
    registration = household(1)
    prove(client, registration, django_capture_on_commit_callbacks)
    born = timezone.localdate() - datetime.timedelta(days=20)
    response = client.post(reverse("patients:self_member_add"), {
        "first_name": "Baby", "last_name": "Lopez", "date_of_birth": born.isoformat(), "phn": next_phn()})
    assert response.status_code == 302, response.content.decode()[:2000]
    registration.refresh_from_db()
    assert registration.household_size == 2 and "infant" in registration.priority_factors
    assert registration.priority == compute_priority(registration.priority_factors).value >= 4
    assert registration.members.filter(first_name="Baby").exists()
    assert AuditEvent.objects.filter(object_type="patients.Patient", summary__contains="self-service").exists()


def test_a_known_phn_with_other_details_is_held_never_renamed(client, django_capture_on_commit_callbacks):
    registration = household(1)
    known = PatientFactory(first_name="Ana", last_name="Real", date_of_birth=datetime.date(2001, 2, 3))
    prove(client, registration, django_capture_on_commit_callbacks)
    response = client.post(reverse("patients:self_member_add"), {
        "first_name": "Someone", "last_name": "Else", "date_of_birth": "2001-02-03", "phn": known.phn})
    assert response.status_code == 302  # the household is told nothing different
    known.refresh_from_db()
    assert (known.first_name, known.last_name, known.registration_id) == ("Ana", "Real", None)
    conflict = IdentityConflict.objects.get(registration=registration, patient=known)
    assert conflict.kind == "details" and conflict.claimed_first_name == "Someone"


def test_removing_a_member_and_never_the_last(client, django_capture_on_commit_callbacks):
    registration = household(2)
    prove(client, registration, django_capture_on_commit_callbacks)
    primary, other = registration.members.order_by("-is_primary_contact", "pk")
    client.post(reverse("patients:self_member_remove"), {"member": primary.pk})
    registration.refresh_from_db()
    other.refresh_from_db()
    assert registration.household_size == 1 and other.is_primary_contact
    assert Patient.objects.get(pk=primary.pk).registration_id is None
    client.post(reverse("patients:self_member_remove"), {"member": other.pk})
    registration.refresh_from_db()
    assert registration.household_size == 1 and registration.members.count() == 1


def test_leaving_the_waitlist_goes_through_the_status_service(client, django_capture_on_commit_callbacks):
    registration = household(1)
    prove(client, registration, django_capture_on_commit_callbacks)
    assert client.post(reverse("patients:self_leave"), {"reason": "found_own_provider"}).status_code == 302
    registration.refresh_from_db()
    assert registration.status == "withdrawn"
    change = registration.status_history.latest("at")
    assert change.reason.startswith("Found a provider on their own") and change.by is None
    event = AuditEvent.objects.filter(object_id=str(registration.pk), action="status").latest("pk")
    assert event.user is None and "self-service" in event.summary
    # Off the list, nothing more can be changed.
    assert client.post(reverse("patients:self_needs"), {"factors": ["pregnancy"]}).status_code == 400


# --- who looked at my record ---------------------------------------------------------------


def test_the_access_log_shows_roles_and_organisations_never_names(client, coordinator,
                                                                 django_capture_on_commit_callbacks):
    coordinator.first_name, coordinator.last_name, coordinator.username = "Harriet", "Quimby", "hquimby"
    coordinator.save()
    registration = household(1)
    staff = login(client.__class__(), coordinator)
    staff.get(reverse("patients:registration", args=[registration.pk]))
    staff.post(reverse("patients:withdraw", args=[registration.pk]), {"reason": "other", "detail": "Asked by phone"})
    staff.get(reverse("patients:edit", args=[registration.pk]))
    prove(client, household(1), django_capture_on_commit_callbacks)  # another household first
    client.post(reverse("patients:self_sign_out"))
    prove(client, registration, django_capture_on_commit_callbacks)
    page = client.get(reverse("patients:self_household")).content.decode()
    log = page[page.index('id="access-log"'):]
    assert "Attachment coordinator" in log and registration.division.name in log
    assert "Other: Asked by phone" in log  # the reason given
    for secret in ("Harriet", "Quimby", coordinator.username, coordinator.email, "10.77."):
        assert secret not in page
    # The other household's page was no part of this one's log.
    assert log.count("Attachment coordinator") == 3


def test_the_timing_of_the_first_step_tells_nothing(client, settings):
    """A right code and date of birth (a code is made and queued) and a stranger's code take
    the same time: padded, and the Mann-Whitney check finds no difference."""
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0.02
    celery_app.conf.task_always_eager = False  # on_commit never fires in a test transaction: nothing is sent
    registration = household(1)
    settings.ATTACH_OTP_SEND_RATE = "100000/h"
    strangers = iter([new_reference_code() for _ in range(2000)])
    assert not differs(lambda: start(client, registration), lambda: start(client, next(strangers)))


def test_the_timing_of_the_code_step_tells_nothing(client, settings, django_capture_on_commit_callbacks):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0.02
    settings.ATTACH_OTP_ATTEMPTS = 100000
    registration = household(1)
    real, stranger = client, client.__class__(REMOTE_ADDR=fresh_address())
    with django_capture_on_commit_callbacks(execute=True):
        start(real, registration)
        start(stranger, "ACDEFGHJ")
    assert not differs(lambda: real.post(reverse("patients:self_code"), {"code": "000001"}),
                       lambda: stranger.post(reverse("patients:self_code"), {"code": "000001"}))
