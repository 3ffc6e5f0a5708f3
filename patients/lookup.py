"""The public look-up: a household proves itself by what only it knows, its reference code
and one member's date of birth. THE one module both public pages use: the status page
(`/status/`) and the offer page (`/offer/<reference>/`). One rule for both:

- verify: one query whichever part is wrong, and the same None for an unknown code and
  a wrong date of birth;
- rate limit (failures only, in fixed windows of ATTACH_LOOKUP_RATE, in Redis):
  * per client address, as `attachment.core.http.client_address` finds it behind the
    trusted proxies, so a crowd behind one proxy does not share one budget;
  * per code, across both pages (one budget, not one per page), counted for every code
    string tried whether or not it exists, so a refusal says nothing about the code;
  * a browser that has once proved itself for a code (it registered there, or answered
    right before) carries a signed "household device" cookie for that code. Its attempts
    count against that cookie only, never against the address or the code, so a
    stranger who used up the code's budget cannot lock the household out. A cookie that
    fails the limit itself is refused for the window like anyone else. (This is OWASP's
    "device cookies" design for online guessing.) Without the cookie, a locked code
    is refused for the rest of the window and opens again by itself;
- constant time: every POST answer, right, wrong, refused or invalid, is padded to at
  least ATTACH_LOOKUP_MIN_SECONDS, measured from the request's arrival at the view to its
  rendered response.
"""

import datetime
import functools
import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.db.models import Exists, OuterRef

from attachment.core.http import client_address
from patients.models import REFERENCE_LENGTH, Patient, Registration


def _limits():
    """The strict cache of the rate limits: with Redis down it raises (a polite 503), never forgets."""
    return caches[settings.RATELIMIT_USE_CACHE]


DEVICE_COOKIE = "attach_household"
DEVICE_COOKIE_SALT = "patients.lookup.device"
DEVICE_COOKIE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days
DEVICE_CODES_KEPT = 4  # a shared family computer may look up a few households
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def normalize_code(reference_code: str) -> str:
    """Codes are read out and copied by hand: ignore case, spaces and dashes."""
    return "".join(ch for ch in str(reference_code or "") if ch not in " -\t").upper()[:REFERENCE_LENGTH + 4]


def verify(reference_code: str, date_of_birth: datetime.date) -> Registration | None:
    """The registration whose code is `reference_code` and that has a member born on
    `date_of_birth`; None otherwise (unknown code and wrong date are indistinguishable)."""
    code = normalize_code(reference_code)
    # One query in every case: the row by its unique code, with the date check evaluated
    # in the database alongside it. Python compares nothing that differs by case.
    row = (
        Registration.objects.filter(reference_code=code)
        .annotate(
            dob_matches=Exists(
                Patient.objects.filter(registration=OuterRef("pk"), date_of_birth=date_of_birth)
            )
        )
        .first()
    )
    matched = row is not None and row.dob_matches
    return row if matched else None


# --- the limits ---------------------------------------------------------------------------


def parse_rate(rate: str) -> tuple[int, int]:
    """"5/15m" -> (5 failures, 900 seconds)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", rate or "")
    if not match:
        raise ValueError(f"ATTACH_LOOKUP_RATE must look like 5/15m, not {rate!r}")
    count, number, unit = match.groups()
    return int(count), int(number or 1) * _UNITS[unit]


def _bucket(kind: str, value: str, window: int) -> str:
    # Hashed: the cache holds no reference codes or addresses in clear.
    digest = hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:32]
    return f"lookup:{kind}:{digest}:{int(time.time()) // window}"


def _device_nonce(request, code: str) -> str | None:
    """The nonce of this browser's household cookie for `code`, if it holds a valid one."""
    for entry_code, nonce in _device_entries(request):
        if entry_code == code:
            return nonce
    return None


def _device_entries(request) -> list[tuple[str, str]]:
    try:
        entries = request.get_signed_cookie(DEVICE_COOKIE, salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_MAX_AGE)
        return [(str(c), str(n)) for c, n in signing.loads(entries)][:DEVICE_CODES_KEPT]
    except (KeyError, signing.BadSignature, ValueError, TypeError):
        return []


@dataclass
class Attempt:
    registration: Registration | None = None
    refused: bool = False
    code: str = ""

    @property
    def verified(self) -> bool:
        return self.registration is not None


def attempt(request, reference_code: str, date_of_birth: datetime.date, *, only_code: str | None = None,
            count_every_try: bool = False) -> Attempt:
    """Check the limits, verify, and count a failure. `only_code`: the page is about this
    code (the offer page's URL); another code is a failure like a wrong date.
    `count_every_try`: count a match too, for a page whose answer must not differ (even in
    the work done) between a match and a miss (self-service's first step)."""
    code = normalize_code(reference_code)
    limit, window = parse_rate(settings.ATTACH_LOOKUP_RATE)
    nonce = _device_nonce(request, code)
    if nonce is not None:
        buckets = [_bucket("device", nonce, window)]
        if (_limits().get(buckets[0]) or 0) >= limit:
            nonce = None  # the cookie used up its own budget: it is a stranger's browser now
    if nonce is None:
        buckets = [_bucket("address", client_address(request) or "", window), _bucket("code", code, window)]
    counts = _limits().get_many(buckets)
    if any((counts.get(b) or 0) >= limit for b in buckets):
        return Attempt(refused=True, code=code)
    registration = verify(code, date_of_birth)
    if registration is not None and only_code is not None and registration.reference_code != only_code:
        registration = None
    if registration is None or count_every_try:
        for bucket in buckets:
            _limits().add(bucket, 0, timeout=window + 1)
            _limits().incr(bucket)
    return Attempt(registration=registration, code=code)


def remember_household(request, response, reference_code: str):
    """Give this browser a household cookie for the code (after it proved itself, or registered)."""
    code = normalize_code(reference_code)
    entries = [(c, n) for c, n in _device_entries(request) if c != code]
    entries = [(code, secrets.token_urlsafe(12))] + entries[:DEVICE_CODES_KEPT - 1]
    response.set_signed_cookie(
        DEVICE_COOKIE, signing.dumps(entries), salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


# --- constant time ---------------------------------------------------------------------


def padded(view):
    """Every POST answer of the view takes at least ATTACH_LOOKUP_MIN_SECONDS, so no timing
    (query plan, rendering, cache, audit write) tells a right code from a wrong one."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        started = time.perf_counter()
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        remaining = settings.ATTACH_LOOKUP_MIN_SECONDS - (time.perf_counter() - started)
        if remaining > 0:
            time.sleep(remaining)
        return response

    return wrapper


# --- the same limits for the other public forms (patients/already.py) -------------------


def spend(request, kind: str, value: str) -> bool:
    """Count one try of `kind` against the client's address and against `value` (hashed),
    in ATTACH_LOOKUP_RATE's windows; True, counting nothing, when either is used up.
    Every try counts, right or wrong, so a refusal says nothing about `value`."""
    limit, window = parse_rate(settings.ATTACH_LOOKUP_RATE)
    buckets = [_bucket(f"{kind}-address", client_address(request) or "", window), _bucket(kind, value, window)]
    counts = _limits().get_many(buckets)
    if any((counts.get(b) or 0) >= limit for b in buckets):
        return True
    for bucket in buckets:
        _limits().add(bucket, 0, timeout=window + 1)
        _limits().incr(bucket)
    return False
