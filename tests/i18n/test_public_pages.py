"""Each public page, in each state a household reaches, renders in each language with no
English left, and every email to the public is written in the household's language.

Two checks on every page: no message of the catalogues shows in English (its msgid), and
in Punjabi and Chinese no Latin word is left on the page except names and codes that are
the same in every language (people's, the community's, the clinic's, "PHN", "BC") and the
language switch's own names. The second catches a string that was never marked at all.
"""

import datetime
import html
import re
import uuid

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from attachment.workflow import services as workflow
from patients import services as patient_services
from patients.models import Registration, new_reference_code
from providers.capacity import declare_capacity
from registries.models import Community
from tests.attachment.conftest import offer_for
from tests.factories import household
from tests.i18n.test_catalogues import FOLDERS, catalogue, entries
from tests.patients.helpers import registration_post
from tests.patients.test_already_registered import random_phn

pytestmark = pytest.mark.django_db
LANGUAGES = sorted(FOLDERS)
DOB = datetime.date(1980, 5, 17)  # the factories' date of birth
# Words that are the same in every language on these pages.
SAME_EVERYWHERE = {"Attach", "PHN", "BC", "ASL", "CSV", "English", "Français", "Freedom", "of", "Information", "and",
                   "Protection", "Privacy", "Act", "Kamloops", "Thompson", "Dr", "Family", "Practice", "example",
                   "com", "org", "name", "V2C", "A1", "1A1", "Health", "Connect"}


def visible_text(page: str) -> str:
    """What a person reads or hears: the text, and the attributes read out (titles, labels)."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    spoken = " ".join(re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', page))
    title = " ".join(re.findall(r"(?s)<title>(.*?)</title>", page))
    body = re.sub(r"(?s)<[^>]+>", " ", "<body" + page.split("<body", 1)[-1])
    return html.unescape(f"{title} {spoken} {body}")


def english_left(text: str, code: str, allowed=()) -> list[str]:
    problems = []
    for msgid, _plural, strs, _fuzzy in entries(catalogue(code))[1:]:
        if "%(" in msgid or "<" in msgid or len(msgid.split()) < 2 or all(s == msgid for s in strs):
            continue
        if msgid in text:
            problems.append(msgid)
    if code != "fr":
        ok = SAME_EVERYWHERE | set(allowed)
        latin = {w for w in re.findall(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'-]+", text) if w not in ok}
        problems += sorted(latin)
    return problems


def in_language(client, code):
    client.cookies["attach_language"] = code
    client.defaults["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    return client


def assert_all_translated(response, code, *names):
    assert response["Content-Language"] == code
    page = response.content.decode()
    assert f'<html lang="{code}">' in page
    # Place names are the same in every language (the form's list of communities).
    places = Community.objects.values_list("name", flat=True)
    allowed = {w for name in [*names, *places] for w in re.findall(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'-]+", str(name))}
    text = visible_text(page)
    left = english_left(text, code, allowed)
    where = {word: re.sub(r"\s+", " ", text[max(0, text.find(word) - 60):text.find(word) + 60]) for word in left[:3]}
    assert left == [], f"{response.wsgi_request.path}: {where}"


@pytest.fixture(autouse=True)
def _no_padding(settings):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0


@pytest.mark.parametrize("code", LANGUAGES)
def test_home_register_and_its_states(client, code, kamloops):
    in_language(client, code)
    assert_all_translated(client.get(reverse("home")), code)
    assert_all_translated(client.get(reverse("patients:register")), code)
    # Errors: every message of the form, in the language (nothing but the token posted).
    errors = client.post(reverse("patients:register"), {
        "submission_token": str(uuid.uuid4()), "submit": "1", "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0", "members-0-date_of_birth_day": "31", "members-0-date_of_birth_month": "2",
        "members-0-date_of_birth_year": "1990", "members-0-phn": "12"})
    assert errors.status_code == 400
    assert_all_translated(errors, code)
    grown = client.post(reverse("patients:register"), {**registration_post(), "add_member": "1"})
    assert_all_translated(grown, code, "Ana", "Lopez", "River", "Road")
    data = registration_post()
    data.pop("confirm")
    check = client.post(reverse("patients:register"), {**data, "submit": "1"})
    assert b"check-answers" in check.content
    assert_all_translated(check, code, "Ana", "Lopez", "River", "Road", "ana.lopez")
    done = client.post(reverse("patients:register"), {**data, "confirm": "1"}, follow=True)
    assert_all_translated(done, code, "ana.lopez", Registration.objects.get().reference_code)
    assert Registration.objects.get().language == code


@pytest.mark.parametrize("code", LANGUAGES)
def test_status_in_each_state(client, code):
    registration = household(2, registered_at=timezone.now() - datetime.timedelta(days=95))
    in_language(client, code)
    assert_all_translated(client.get(reverse("patients:status")), code)
    missing = client.post(reverse("patients:status"), {"reference_code": "", "date_of_birth_day": "3"})
    assert_all_translated(missing, code)
    wrong = client.post(reverse("patients:status"), {"reference_code": new_reference_code(), "date_of_birth": "1999-01-01"})
    assert_all_translated(wrong, code)
    right = client.post(reverse("patients:status"), {"reference_code": registration.reference_code,
                                                     "date_of_birth": str(DOB)})
    assert b"status-answer" in right.content
    assert_all_translated(right, code)
    assert {"fr": "il y a environ 3 mois", "pa": "ਲਗਭਗ 3 ਮਹੀਨੇ ਪਹਿਲਾਂ", "zh-hant": "大約 3 個月",
            "zh-hans": "大约 3 个月"}[code] in right.content.decode()


@pytest.mark.parametrize("code", LANGUAGES)
def test_already_registered_and_the_error_pages(client, code):
    in_language(client, code)
    assert_all_translated(client.get(reverse("patients:already_registered")), code)
    sent = client.post(reverse("patients:already_registered"), {"phn": random_phn(), "date_of_birth": "1980-01-01"})
    assert b"resend-answer" in sent.content
    assert_all_translated(sent, code)
    assert_all_translated(client.get("/register/no-such-page/"), code)


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_offer_pages(client, code, coordinator, moa, provider, clinic, kamloops):
    declare_capacity(provider, accepting=True, new_patients=3)
    registration = household(1, community=kamloops)
    offer = offer_for(registration, coordinator)
    workflow.clinic_accept(offer.pk, by=moa)
    url = reverse("offer:respond", args=[registration.reference_code])
    in_language(client, code)
    names = (provider, clinic.name, clinic.address, registration.reference_code)
    assert_all_translated(client.get(url), code, *names)
    assert_all_translated(client.post(url, {"reference_code": new_reference_code(), "date_of_birth": str(DOB)}), code, *names)
    assert client.post(url, {"reference_code": registration.reference_code, "date_of_birth": str(DOB)}).status_code == 302
    assert_all_translated(client.get(url), code, *names)
    refused = client.post(url, {"answer": "no", "reason": ""})
    assert_all_translated(refused, code, *names)
    done = client.post(url, {"answer": "no", "reason": "Too far"}, follow=True)
    assert_all_translated(done, code, *names)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_email_to_the_household_is_in_its_language(client, code, coordinator, moa, provider, clinic,
                                                         kamloops, django_capture_on_commit_callbacks):
    in_language(client, code)
    data = registration_post(community=str(kamloops.pk))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("patients:register"), data)
    registration = Registration.objects.get()
    assert registration.language == code
    names = ("Kamloops", registration.reference_code, "testserver", "status", "http", "offer", provider,
             clinic.name, clinic.address, clinic.phone)
    Registration.objects.filter(pk=registration.pk).update(registered_at=timezone.now() - datetime.timedelta(days=200))
    assert patient_services.send_due_reminders()["emailed"] == 1
    declare_capacity(provider, accepting=True, new_patients=3)
    offer = offer_for(registration, coordinator)
    workflow.clinic_accept(offer.pk, by=moa)
    workflow.book_meet_and_greet(offer.pk, at=timezone.now() + datetime.timedelta(days=3), by=moa)
    assert workflow.notify_patient(offer.pk) and workflow.notify_meet_and_greet(offer.pk)
    from patients import already

    already.send_reference_code(registration.pk)
    assert len(mail.outbox) == 5  # confirmation, acceptance, meet-and-greet, reminder, code again
    for message in mail.outbox:
        allowed = {w for name in names for w in re.findall(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'-]+", str(name))}
        assert english_left(f"{message.subject}\n{message.body}", code, allowed) == [], message.subject
    # A staff page (English, whatever the browser) reads the same acceptance out in English.
    with translation.override("en-ca"):
        assert "Good news" in workflow.patient_message(offer)


def test_the_browser_language_is_used_until_the_person_chooses(client):
    page = client.get(reverse("patients:status"), HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.9")
    assert page["Content-Language"] == "zh-hant" and "查詢" in page.content.decode()
    assert client.get(reverse("patients:status"), HTTP_ACCEPT_LANGUAGE="fr-CA")["Content-Language"] == "fr"
    assert client.get(reverse("patients:status"), HTTP_ACCEPT_LANGUAGE="de")["Content-Language"] == "en-ca"
    chosen = client.post(reverse("set_language"), {"language": "pa", "next": "/status/"},
                         HTTP_ACCEPT_LANGUAGE="zh-TW")
    assert chosen.status_code == 302 and chosen["Location"] == "/status/"
    again = client.get(reverse("patients:status"), HTTP_ACCEPT_LANGUAGE="zh-TW")
    assert again["Content-Language"] == "pa" and "ਆਪਣੀ ਸਥਿਤੀ" in again.content.decode()


@pytest.mark.parametrize("path", ["/", "/register/", "/register/already/", "/status/", "/offer/ACDEFGHJ/"])
def test_every_public_page_has_the_language_switch(client, path):
    page = client.get(path).content.decode()
    switch = page[page.index('<nav class="languages"'):]
    switch = switch[:switch.index("</nav>")]
    assert f'action="{reverse("set_language")}"' in switch and 'name="next" value="' + path + '"' in switch
    for code, name in [("fr", "Français"), ("pa", "ਪੰਜਾਬੀ"), ("zh-hant", "繁體中文"), ("zh-hans", "简体中文")]:
        assert f'name="language" value="{code}" lang="{code}"' in switch and name in switch
    assert 'aria-current="true">English' in switch


def test_staff_pages_stay_english_whatever_the_browser_asks(client, coordinator):
    from tests.conftest import login

    login(client, coordinator)
    client.cookies["attach_language"] = "fr"
    page = client.get(reverse("patients:waitlist"), HTTP_ACCEPT_LANGUAGE="fr")
    assert page["Content-Language"] == "en-ca" and '<html lang="en-ca">' in page.content.decode()
    assert 'class="languages"' not in page.content.decode()
    login_page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="fr")
    assert login_page["Content-Language"] == "en-ca"


# --- the household's self-service and the open figures (merged from h-selfservice) ---------


@pytest.fixture
def proved(settings, django_capture_on_commit_callbacks):
    """A client proved for its household's self-service in `code`'s language (the code
    sent by email, read back from the outbox)."""
    from attachment.celery import app as celery_app
    from patients import otp

    settings.ATTACH_OTP_SEND_RATE = "1000/h"
    settings.ATTACH_LOOKUP_RATE = "1000/15m"
    settings.ATTACH_SMS_BACKEND = "locmem"
    celery_app.conf.task_always_eager = True

    def prove(client, code, registration):
        in_language(client, code)
        with django_capture_on_commit_callbacks(execute=True):
            started = client.post(reverse("patients:self_start"), {"reference_code": registration.reference_code,
                                                                    "date_of_birth": str(DOB)})
        assert started.status_code == 302
        texts = [m.body for m in mail.outbox] + [m["body"] for m in otp.outbox]
        return started, re.findall(r"\b(\d{6})\b", texts[-1])[-1]

    yield prove
    celery_app.conf.task_always_eager = False


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_self_service_pages_in_each_state(client, code, proved, coordinator):
    registration = household(2, registered_at=timezone.now() - datetime.timedelta(days=40), email="hh@example.org")
    Registration.objects.filter(pk=registration.pk).update(language=code)
    # Someone on staff looked: the access log shows the role and organisation, translated.
    login_client = client.__class__()
    from tests.conftest import login

    login(login_client, coordinator).get(reverse("patients:registration", args=[registration.pk]))
    people = [f"{m.first_name} {m.last_name}" for m in registration.members.all()]
    from registries.models import Division

    divisions = Division.objects.values_list("name", flat=True)  # organisations' names, in the access log
    names = (*people, *divisions, registration.reference_code, "hh", "Kamloops")
    in_language(client, code)
    assert_all_translated(client.get(reverse("patients:self_start")), code)
    assert_all_translated(client.post(reverse("patients:self_start"), {"reference_code": ""}), code)
    started, one_time = proved(client, code, registration)
    email = mail.outbox[-1]
    assert english_left(f"{email.subject}\n{email.body}", code, {"Kamloops"}) == []
    code_page = client.get(started.url)
    assert_all_translated(code_page, code)
    assert_all_translated(client.post(reverse("patients:self_code"), {"code": "000000"}), code)
    assert client.post(reverse("patients:self_code"), {"code": one_time}).status_code == 302
    page = client.get(reverse("patients:self_household"))
    assert_all_translated(page, code, *names, registration.phone, coordinator.username)
    for name in ("patients:self_contact", "patients:self_needs", "patients:self_member_add", "patients:self_leave"):
        assert_all_translated(client.get(reverse(name)), code, *names, registration.phone, registration.address)
    # A refused change and a saved one.
    assert_all_translated(client.post(reverse("patients:self_contact"), {"phone": "12", "email": ""}), code,
                          *names, registration.address)
    assert_all_translated(client.post(reverse("patients:self_leave"), {}), code, *names)
    saved = client.post(reverse("patients:self_needs"), {"factors": ["pregnancy"]}, follow=True)
    assert_all_translated(saved, code, *names, registration.phone, coordinator.username)


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_open_figures_in_each_language(client, code):
    from registries.models import PCN, Division, HealthAuthority
    from reports import figures

    in_language(client, code)
    areas = ["British Columbia", *HealthAuthority.objects.values_list("name", flat=True), *Division.objects.values_list("name", flat=True),
             *PCN.objects.values_list("name", flat=True)]
    assert_all_translated(client.get(reverse("figures:index")), code, *areas)
    for _ in range(12):
        household(1)
    figures.build(timezone.localdate().replace(day=1))
    assert_all_translated(client.get(reverse("figures:index")), code, *areas)
    division = Division.objects.get(name__contains="Thompson")
    assert_all_translated(client.get(reverse("figures:index"), {"area": f"d:{division.pk}"}), code, *areas)
