"""The two public look-ups (/status/ and /offer/<reference>/) through patients.lookup:
the same bytes and indistinguishable time for a wrong code and a wrong date of birth,
and limits that stop guessing without letting a stranger lock a household out."""

import datetime
import math
import random
import re
import time
import uuid

import pytest
from django.urls import reverse

from patients import lookup
from patients.models import new_reference_code
from tests.factories import household

pytestmark = pytest.mark.django_db
DOB = datetime.date(1980, 5, 17)  # the factories' date of birth
WRONG_DOB = datetime.date(1999, 1, 1)
PAD = 0.02


def fresh_address() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250}"


@pytest.fixture
def client(client):
    # A fresh address per test: the limits live in the real Redis and must not carry over.
    client.defaults["REMOTE_ADDR"] = fresh_address()
    return client


def status_post(client, code, dob, **extra):
    return client.post(reverse("patients:status"), {"reference_code": code, "date_of_birth": str(dob)}, **extra)


def offer_post(client, code, dob, url_code=None, **extra):
    url = reverse("offer:respond", args=[url_code or code])
    return client.post(url, {"reference_code": code, "date_of_birth": str(dob)}, **extra)


def body(response) -> str:
    # The CSRF token is random in every response; everything else must match byte for byte.
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


# --- the statistics ------------------------------------------------------------------------


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, ties corrected)."""
    n1, n2 = len(a), len(b)
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks, tie_term, i = [0.0] * len(pooled), 0.0, 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        t = j - i + 1
        tie_term += t ** 3 - t
        i = j + 1
    r1 = sum(r for r, (_, group) in zip(ranks, pooled) if group == 0)
    u1 = r1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
    if sigma == 0:
        return 1.0
    z = (abs(u1 - n1 * n2 / 2) - 0.5) / sigma
    return math.erfc(max(z, 0) / math.sqrt(2))


def timings(first, second, tries, best_of=3):
    """Each sample is the fastest of `best_of` requests in a row, as an attacker would
    measure (it strips the scheduler's noise of a busy machine, so a real difference
    shows); the samples of both kinds interleaved in random order, so drift in the
    machine's load falls on both alike."""
    order = [0] * tries + [1] * tries
    random.shuffle(order)
    samples = ([], [])
    for which in order:
        fastest = math.inf
        for _ in range(best_of):
            started = time.perf_counter()
            (first, second)[which]()
            fastest = min(fastest, time.perf_counter() - started)
        samples[which].append(fastest)
    return samples


def differs(first, second, tries=100) -> bool:
    """True when a timing difference is found at p < 0.01, and found again in a second,
    independent sample: a real difference reproduces, a 1-in-100 fluke does not (both
    at once: 1 in 10,000), so the test is not flaky and still fails on a real leak."""
    for _ in range(2):
        a, b = timings(first, second, tries)
        if mann_whitney_p(a, b) >= 0.01:
            return False
    return True


def test_the_statistics_agree_with_known_answers():
    # Textbook check: fully separated samples of 20 each give p far below 0.01.
    assert mann_whitney_p(list(range(20)), list(range(100, 120))) < 1e-6
    assert mann_whitney_p([1, 2, 3, 4] * 10, [1, 2, 3, 4] * 10) > 0.9


def test_the_timing_check_does_find_an_injected_2ms_delay(client, settings, monkeypatch):
    """The check can fail: unpadded, a wrong date of birth made 2 ms slower is found."""
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0
    settings.ATTACH_LOOKUP_RATE = "100000/15m"
    registration = household(1)
    real_verify = lookup.verify

    def slow_for_known_codes(code, dob):
        found = real_verify(code, dob)
        if lookup.normalize_code(code) == registration.reference_code:
            time.sleep(0.002)
        return found

    monkeypatch.setattr(lookup, "verify", slow_for_known_codes)
    strangers = iter([new_reference_code() for _ in range(1000)])
    assert differs(lambda: status_post(client, registration.reference_code, WRONG_DOB),
                   lambda: status_post(client, next(strangers), DOB))


# Not named `page`: that is Playwright's fixture, and would pull these tests among the browser journeys.
@pytest.mark.parametrize("public_page", ["status", "offer"])
def test_wrong_code_and_wrong_date_of_birth_same_bytes_and_time(client, settings, public_page):
    settings.ATTACH_LOOKUP_MIN_SECONDS = PAD
    settings.ATTACH_LOOKUP_RATE = "100000/15m"
    registration = household(2)
    code = registration.reference_code
    post = status_post if public_page == "status" else offer_post

    wrong_dob = post(client, code, WRONG_DOB)
    stranger = new_reference_code()
    wrong_code = post(client, stranger, DOB)
    assert wrong_dob.status_code == wrong_code.status_code == 200
    # The offer page shows the code of its address (the link in the email) and nothing else
    # that was typed: a stranger's own code is the only difference.
    assert body(wrong_dob) == body(wrong_code).replace(stranger, code)
    assert "could not find" in body(wrong_dob)
    if public_page == "offer":
        # The same address, only the typed code differs: byte for byte the same.
        assert body(offer_post(client, stranger, DOB, url_code=code)) == body(wrong_dob)

    # The strangers' codes are made before the clock starts: only the page is timed.
    strangers = iter([new_reference_code() for _ in range(1000)])
    assert not differs(lambda: post(client, code, WRONG_DOB), lambda: post(client, next(strangers), DOB))


def test_every_answer_takes_at_least_the_padding(client, settings):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0.1
    registration = household(1)
    for send in (lambda: status_post(client, registration.reference_code, DOB),
                 lambda: status_post(client, new_reference_code(), DOB),
                 lambda: offer_post(client, registration.reference_code, WRONG_DOB)):
        started = time.perf_counter()
        send()
        assert time.perf_counter() - started >= 0.1


# --- the limits ----------------------------------------------------------------------------


@pytest.fixture
def fast(settings):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0
    settings.ATTACH_LOOKUP_RATE = "5/15m"
    return settings


def test_a_crowd_behind_the_proxy_does_not_share_one_budget(client, fast):
    fast.ATTACH_TRUSTED_PROXIES = ["10.250.0.1"]
    registration = household(1)
    behind = {"REMOTE_ADDR": "10.250.0.1"}
    guesser, neighbour = fresh_address(), fresh_address()
    for _ in range(5):
        assert status_post(client, new_reference_code(), DOB, HTTP_X_FORWARDED_FOR=guesser, **behind).status_code == 200
    assert status_post(client, new_reference_code(), DOB, HTTP_X_FORWARDED_FOR=guesser, **behind).status_code == 429
    # Another person behind the same proxy, with the right answer, on both pages.
    answer = status_post(client, registration.reference_code, DOB, HTTP_X_FORWARDED_FOR=neighbour, **behind)
    assert answer.status_code == 200 and "You are on the waitlist." in answer.content.decode()
    assert offer_post(client, registration.reference_code, DOB, HTTP_X_FORWARDED_FOR=neighbour, **behind).status_code == 302


def test_an_untrusted_peer_cannot_pick_its_bucket_with_a_header(client, fast):
    for _ in range(5):
        status_post(client, new_reference_code(), DOB, HTTP_X_FORWARDED_FOR=fresh_address())
    assert status_post(client, new_reference_code(), DOB, HTTP_X_FORWARDED_FOR=fresh_address()).status_code == 429


def test_one_code_has_one_budget_across_both_pages(client, fast):
    fast.ATTACH_LOOKUP_RATE = "4/15m"
    registration = household(1)
    code = registration.reference_code
    # Each guess from a new address: only the code's own budget can stop them.
    for post in (status_post, offer_post, status_post, offer_post):
        client.defaults["REMOTE_ADDR"] = fresh_address()
        assert post(client, code, datetime.date(2001, 1, random.randint(1, 28))).status_code == 200
    for post in (status_post, offer_post):
        client.defaults["REMOTE_ADDR"] = fresh_address()
        refused = post(client, code, DOB)
        assert refused.status_code == 429, "4 guesses in all, not 4 per page"


def test_a_stranger_cannot_lock_the_household_out(client, fast):
    """The household's browser holds the cookie of its earlier right answer (or of its
    registration): a stranger's failures on the code never refuse it."""
    registration = household(1)
    code = registration.reference_code
    assert status_post(client, code, DOB).status_code == 200
    assert lookup.DEVICE_COOKIE in client.cookies
    household_cookie = client.cookies[lookup.DEVICE_COOKIE].value

    from django.test import Client

    stranger = Client()
    for _ in range(6):
        stranger.defaults["REMOTE_ADDR"] = fresh_address()
        status_post(stranger, code, WRONG_DOB)
    stranger.defaults["REMOTE_ADDR"] = fresh_address()
    assert status_post(stranger, code, DOB).status_code == 429  # the code is locked for strangers

    client.cookies[lookup.DEVICE_COOKIE] = household_cookie
    answer = status_post(client, code, DOB)
    assert answer.status_code == 200 and "You are on the waitlist." in answer.content.decode()
    assert offer_post(client, code, DOB).status_code == 302


def test_the_household_cookie_is_no_way_around_the_limit(client, fast):
    registration = household(1)
    code = registration.reference_code
    status_post(client, code, DOB)
    # The cookie's own 5, then (a stranger's browser now) the address's and the code's 5.
    for _ in range(10):
        assert status_post(client, code, WRONG_DOB).status_code == 200
    assert status_post(client, code, DOB).status_code == 429
    # And a forged cookie counts for nothing.
    client.cookies[lookup.DEVICE_COOKIE] = "forged"
    assert status_post(client, code, DOB).status_code == 429


def test_registering_gives_the_browser_the_household_cookie(client, fast):
    registration = household(1)
    session = client.session
    session["registered_id"] = registration.pk
    session.save()
    client.get(reverse("patients:register_done"))
    assert lookup.DEVICE_COOKIE in client.cookies


def test_a_locked_code_opens_again_by_itself(client, fast):
    fast.ATTACH_LOOKUP_RATE = "2/2s"
    registration = household(1)
    code = registration.reference_code
    time.sleep(2 - time.time() % 2)  # start at the beginning of a window
    for _ in range(2):
        client.defaults["REMOTE_ADDR"] = fresh_address()
        status_post(client, code, WRONG_DOB)
    client.defaults["REMOTE_ADDR"] = fresh_address()
    assert status_post(client, code, DOB).status_code == 429
    time.sleep(2.05)
    assert status_post(client, code, DOB).status_code == 200


def test_an_unknown_code_is_refused_like_a_known_one(client, fast):
    fast.ATTACH_LOOKUP_RATE = "2/15m"
    unknown, known = new_reference_code(), household(1).reference_code
    for code in (unknown, known):
        for _ in range(2):
            client.defaults["REMOTE_ADDR"] = fresh_address()
            status_post(client, code, WRONG_DOB)
    client.defaults["REMOTE_ADDR"] = fresh_address()
    refused_unknown = status_post(client, unknown, DOB)
    client.defaults["REMOTE_ADDR"] = fresh_address()
    refused_known = status_post(client, known, DOB)
    assert refused_unknown.status_code == refused_known.status_code == 429
    assert body(refused_unknown) == body(refused_known)
