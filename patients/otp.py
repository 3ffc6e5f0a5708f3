"""One-time codes: the second proof that opens a household's self-service page.

A browser that gives a reference code and a date of birth (patients.lookup, with its
limits) gets a *ticket*, a random token kept in its session, whether or not the two
matched, and a task is queued either way (the page does the same work for a match and a
miss). When they matched, the task makes a OneTimeCode row for the ticket, draws a 6-digit
code and sends it to the contact on file (email, else a text message). The code
is stored only as an HMAC keyed by SECRET_KEY, so the table alone gives no code away.

A ticket's code:
- expires ATTACH_OTP_MINUTES after it was sent;
- is used once (the row is locked while it is checked and stamped `used_at`);
- allows ATTACH_OTP_ATTEMPTS wrong tries, counted in the strict rate-limit cache
  (RATELIMIT_USE_CACHE: with Redis down it refuses rather than forgets) for every
  ticket alike, real or not, so a stranger's ticket behaves like a household's;
- at most ATTACH_OTP_SEND_RATE codes are sent per household: more requests are
  answered the same way and send nothing, so nobody can flood a household's phone.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from attachment.core import audit
from patients.lookup import parse_rate
from patients.models import OneTimeCode, Registration

log = logging.getLogger("attach.patients.otp")

CODE_DIGITS = 6
outbox: list[dict] = []  # the "locmem" text-message backend's sent messages (tests)


def _limits():
    return caches[settings.RATELIMIT_USE_CACHE]


def _hash(kind: str, value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"otp:{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def new_ticket() -> str:
    return secrets.token_urlsafe(24)


def channel_for(registration: Registration) -> str | None:
    if registration.email:
        return OneTimeCode.Channel.EMAIL
    if registration.phone_digits or registration.phone:
        return OneTimeCode.Channel.SMS
    return None


def masked_contact(registration: Registration, channel: str) -> str:
    """Where the code went, masked ("a•••@example.org", "•••-•••-0199"): shown only to the household."""
    if channel == OneTimeCode.Channel.EMAIL:
        name, _, domain = registration.email.partition("@")
        return f"{name[:1]}•••@{domain}"
    digits = "".join(ch for ch in registration.phone if ch.isdigit())
    return f"•••-•••-{digits[-4:]}"


def _sends_allowed(registration: Registration) -> bool:
    limit, window = parse_rate(settings.ATTACH_OTP_SEND_RATE)
    key = f"otp:send:{_hash('reg', registration.reference_code)[:32]}:{int(time.time()) // window}"
    _limits().add(key, 0, timeout=window + 1)
    return _limits().incr(key) <= limit


def request_code(registration: Registration | None, ticket: str) -> None:
    """Ask for a code for `ticket`: the same work whether or not the details matched (one
    task queued, carrying the registration or None), so the page's time tells nothing even
    when the server is slow enough to outrun the padding. The task makes and sends the code
    (request_and_deliver); for None it does nothing. A broker that is down answers 503 in
    both cases alike."""
    from attachment.core.unavailable import enqueue_on_commit
    from patients import tasks

    enqueue_on_commit(tasks.send_one_time_code, registration.pk if registration else None,
                      _hash("ticket", ticket), on_failure=lambda: None)


def request_and_deliver(registration_id: int, ticket_hash: str) -> bool:
    """The task's half of request_code, for a match: make the ticket's code row (within the
    household's send limit) and send it. Idempotent: a re-delivered task finds its row and
    sends nothing twice. False when nothing was sent."""
    row = OneTimeCode.objects.filter(ticket_hash=ticket_hash).only("pk").first()
    if row is None:
        registration = Registration.objects.filter(pk=registration_id).first()
        channel = channel_for(registration) if registration else None
        if channel is None or not _sends_allowed(registration):
            return False
        row, _ = OneTimeCode.objects.get_or_create(
            ticket_hash=ticket_hash, defaults={"registration": registration, "channel": channel})
    return deliver(row.pk)


def deliver(code_id: int) -> bool:
    """Draw the code of row `code_id`, store its hash and send it; False when already sent."""
    with transaction.atomic():
        row = OneTimeCode.objects.select_for_update().select_related("registration").filter(pk=code_id).first()
        if row is None or row.sent_at is not None:
            return False  # a re-delivered task: the code went out the first time
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        now = timezone.now()
        row.code_hash = _hash(f"code:{row.pk}", code)
        row.sent_at, row.expires_at = now, now + datetime.timedelta(minutes=settings.ATTACH_OTP_MINUTES)
        row.save(update_fields=["code_hash", "sent_at", "expires_at"])
        registration = row.registration
        language = getattr(registration, "language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            context = {"code": code, "minutes": settings.ATTACH_OTP_MINUTES}
            if row.channel == OneTimeCode.Channel.EMAIL:
                send_mail(
                    subject=translation.gettext("Your Health Connect Registry code: %(code)s") % {"code": code},
                    message=render_to_string("patients/email/one_time_code.txt", context),
                    from_email=None, recipient_list=[registration.email],
                )
            else:
                send_sms(registration.phone, render_to_string("patients/email/one_time_code_sms.txt", context).strip())
        audit.record(action="create", obj=registration, actor=audit.Actor.task("patients.send_one_time_code"),
                     summary=f"One-time code sent by {row.get_channel_display().lower()} for self-service")
    return True


@dataclass
class Check:
    registration: Registration | None = None
    refused: bool = False  # too many wrong tries for this ticket

    @property
    def ok(self) -> bool:
        return self.registration is not None


def check(ticket: str, code: str) -> Check:
    """Whether `code` is the ticket's code: valid, unexpired, unused, within its tries.

    The same path for every ticket, real or made for details that did not match: one
    counter in the limits cache, one locked query, one constant-time comparison.
    """
    key = f"otp:tries:{_hash('ticket', ticket)[:32]}"
    window = settings.ATTACH_OTP_MINUTES * 60 + 60
    _limits().add(key, 0, timeout=window)
    if (_limits().get(key) or 0) >= settings.ATTACH_OTP_ATTEMPTS:
        return Check(refused=True)
    digits = "".join(ch for ch in str(code or "") if ch.isdigit())[:CODE_DIGITS + 2]
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update(of=("self",)).select_related("registration")
            .filter(ticket_hash=_hash("ticket", ticket)).first()
        )
        expected = row.code_hash if row is not None and row.code_hash else _hash("code:none", "-")
        given = _hash(f"code:{row.pk if row is not None else 'none'}", digits)
        matches = hmac.compare_digest(expected, given)
        usable = (
            row is not None and row.sent_at is not None and row.used_at is None
            and row.expires_at > timezone.now() and row.attempts < settings.ATTACH_OTP_ATTEMPTS
        )
        if matches and usable:
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            return Check(registration=row.registration)
        if row is not None:
            row.attempts = min(row.attempts + 1, 32767)
            row.save(update_fields=["attempts"])
    _limits().incr(key)
    return Check()


# --- text messages ------------------------------------------------------------------------


def send_sms(to: str, body: str) -> None:
    """Send one text message through ATTACH_SMS_BACKEND (see settings)."""
    backend = settings.ATTACH_SMS_BACKEND
    if backend == "locmem":
        outbox.append({"to": to, "body": body})
    elif backend == "console":
        log.info("text message to %s: %s", to, body)
    elif backend == "webhook":
        if not settings.ATTACH_SMS_WEBHOOK_URL:
            raise RuntimeError("ATTACH_SMS_BACKEND=webhook needs ATTACH_SMS_WEBHOOK_URL")
        request = urllib.request.Request(
            settings.ATTACH_SMS_WEBHOOK_URL, data=json.dumps({"to": to, "body": body}).encode(),
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {settings.ATTACH_SMS_WEBHOOK_TOKEN}"}
                        if settings.ATTACH_SMS_WEBHOOK_TOKEN else {})},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (an operator's URL)
            if response.status >= 300:
                raise RuntimeError(f"SMS gateway answered {response.status}")
    else:
        raise RuntimeError(f"Unknown ATTACH_SMS_BACKEND {backend!r}")
