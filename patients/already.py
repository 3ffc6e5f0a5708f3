"""The "already registered" path: a household that lost its reference code gets it again,
sent to the email address on file (or, without one, by text message to the phone on file,
through patients.otp's SMS backend), never shown on the page.

The public registration form never tells whether a PHN is on the waitlist (a known PHN
makes a registration held for a coordinator, patients.identity), and neither does this:
whatever is typed, the page gives the same answer ("if these details match, we have sent
it"), in the same least time (lookup.padded), under the look-ups' rate limits per address
and per PHN (lookup.spend, the strict cache). Only the owner of the email on file learns
anything, and what they learn is their own code. With the code (and a date of birth) the
household then proves itself on the status and offer pages, as always.
"""

from __future__ import annotations

import datetime
import logging

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext

from attachment.core import audit, i18n, unavailable
from attachment.core.http import absolute_url
from patients.models import Patient, Registration
from registries.phn import normalize_phn

log = logging.getLogger("attach.patients")


def registration_to_remind(phn: str, date_of_birth: datetime.date) -> Registration | None:
    """The open registration with a member of this PHN and date of birth (the registry's
    record of the person, not what a held form claimed); one query whatever matches."""
    person = (
        Patient.objects.filter(phn=normalize_phn(phn), date_of_birth=date_of_birth,
                               registration__status__in=Registration.OPEN_STATUSES)
        .select_related("registration").only("registration__id", "registration__email", "registration__phone",
                                             "registration__reference_code", "registration__language")
        .first()
    )
    return person.registration if person is not None else None


def request_reference_code(phn: str, date_of_birth: datetime.date, *, actor=None) -> None:
    """Queue the reference code's email (or text message) when the details match a
    registration with an email address or a phone; otherwise nothing. Returns nothing: the
    caller must not know which."""
    from patients import tasks  # here, not at the top: tasks imports this module


    registration = registration_to_remind(phn, date_of_birth)
    if registration is None or not (registration.email or registration.phone):
        return
    audit.record(user=None, action="view", obj=registration, actor=actor,
                 summary="Reference code asked for again: sent to the "
                         + ("email" if registration.email else "phone") + " on file")
    # Queued, not sent here: the answer must not wait for (or be timed by) the mail server.
    # With Redis down the rate limits have already answered 503, for everyone alike.
    unavailable.enqueue_on_commit(tasks.send_reference_code, registration.pk, on_failure=lambda: None)


def send_reference_code(registration_id: int) -> bool:
    """Send the household its reference code, in its language: by email, else by text."""
    from patients import otp

    registration = Registration.objects.filter(pk=registration_id).first()
    if registration is None or not (registration.email or registration.phone):
        return False
    status_url = absolute_url(reverse("patients:status"))
    context = {"registration": registration, "status_url": status_url}
    with i18n.for_registration(registration):
        if registration.email:
            subject = gettext("Health Connect Registry: your reference code")
            body = render_to_string("patients/email/reference_code.txt", context)
            send_mail(subject=subject, message=body, from_email=None, recipient_list=[registration.email])
        else:
            otp.send_sms(registration.phone, gettext(
                "Health Connect Registry: your reference code is %(code)s. Check your status at %(url)s"
            ) % {"code": registration.reference_code, "url": status_url})
    return True
