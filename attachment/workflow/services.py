"""The attachment workflow's writes: runs, proposals, offers, attachment. One transaction each.

Locks are always taken in the same order — offer, then provider, then registration —
so two services racing on the same offer wait for each other instead of deadlocking,
and the second one re-reads the state the first one left and refuses what no longer
applies (an accept after an expiry, a second confirmation, ...).
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from attachment.core import audit, i18n, unavailable
from attachment.core.errors import DomainError
from attachment.core.http import absolute_url
from attachment.workflow import signals
from attachment.workflow.models import DeclinedPair, MatchRun, Offer, Proposal
from patients import identity
from patients import services as patient_services
from patients.models import Patient, Registration
from providers import capacity
from providers.models import Clinic, Provider
from registries.models import PanelEntry

log = logging.getLogger("attach.workflow")


class WorkflowError(DomainError):
    """The action does not apply to the record as it now stands; the message says why."""


# --- places -------------------------------------------------------------------

def give_back_places(proposal: Proposal) -> None:
    """Return a proposal's places to its provider (providers.capacity decides how many count)."""
    capacity.return_places(proposal.provider_id, proposal.places, taken_at=proposal.created_at)


# --- matching runs ----------------------------------------------------------------

def start_run(*, by, division_id: int | None = None, community_id: int | None = None, supersede: bool = False,
              actor=None) -> MatchRun:
    """Record a run and queue it for the worker (after commit, so the worker finds the row).

    `supersede`: first return the unsent proposals of earlier runs in the area (see
    attachment.matching.db.supersede_unsent), so everyone waiting there is matched afresh.
    """
    from attachment.workflow import tasks

    parameters = {"division": division_id, "community": community_id}
    if supersede:
        parameters["supersede"] = True
    with transaction.atomic():
        run = MatchRun.objects.create(
            started_by=by,
            parameters=parameters,
            phase="Queued",
        )
        audit.record(
            user=by, action="create", obj=run, actor=actor,
            summary="Started a matching run", changes={"parameters": run.parameters},
        )
        unavailable.enqueue_on_commit(tasks.run_matching, run.pk, on_failure=lambda: not_started(run.pk))
    return run


def not_started(run_id: int) -> None:
    """The run could not be queued: say so on it, rather than leave it queued for ever."""
    MatchRun.objects.filter(pk=run_id, status=MatchRun.Status.QUEUED).update(
        status=MatchRun.Status.FAILED, phase="Not started", finished_at=timezone.now(),
        error="Not started: the background service was unavailable. Start the run again when it is back.",
    )


# --- proposals ------------------------------------------------------------------

@transaction.atomic
def skip_proposal(proposal_id: int, *, by, reason: str, never_again: bool = False, actor=None) -> Proposal:
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Say why the proposal is skipped.")
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != Proposal.Status.PROPOSED:
        raise WorkflowError(f"This proposal is already {proposal.get_status_display().lower()}.")
    proposal.status = Proposal.Status.SKIPPED
    proposal.skip_reason = reason[:300]
    proposal.decided_at = timezone.now()
    proposal.decided_by = by
    proposal.save(update_fields=["status", "skip_reason", "decided_at", "decided_by"])
    give_back_places(proposal)
    if never_again:
        DeclinedPair.objects.get_or_create(
            registration_id=proposal.registration_id, provider_id=proposal.provider_id,
            defaults={"by": DeclinedPair.By.COORDINATOR, "reason": reason[:300], "recorded_by": by},
        )
    audit.record(
        user=by, action="update", obj=proposal, actor=actor, reason=reason,
        summary="Skipped a proposal" + (" (never propose this pair again)" if never_again else ""),
        changes={"status": ["proposed", "skipped"]},
    )
    return proposal


def _clinic_for(provider: Provider, registration: Registration) -> Clinic:
    clinics = list(provider.clinics.all().order_by("id"))
    if not clinics:
        raise WorkflowError(f"{provider} works at no clinic in the registry, so there is nobody to send the offer to.")
    for clinic in clinics:
        if clinic.community_id == registration.community_id:
            return clinic
    return clinics[0]


def _expiry(now):
    return now + datetime.timedelta(days=settings.ATTACH_OFFER_EXPIRY_DAYS)


@transaction.atomic
def send_offer(proposal_id: int, *, by, actor=None) -> Offer:
    """Turn a proposal into an offer in the clinic's inbox; the registration becomes offered."""
    proposal = Proposal.objects.select_for_update().select_related("provider").get(pk=proposal_id)
    if proposal.status != Proposal.Status.PROPOSED:
        raise WorkflowError(f"This proposal is already {proposal.get_status_display().lower()}.")
    registration = Registration.objects.select_for_update().get(pk=proposal.registration_id)
    if registration.status != Registration.Status.WAITING or registration.suspended_at:
        raise WorkflowError(
            f"Registration {registration.reference_code} is {registration.get_status_display().lower()}"
            f"{' and suspended' if registration.suspended_at else ''}; skip this proposal instead."
        )
    _refuse_held(registration)
    clinic = _clinic_for(proposal.provider, registration)
    now = timezone.now()
    offer = Offer.objects.create(
        proposal=proposal, registration=registration, provider=proposal.provider, clinic=clinic,
        places=proposal.places, sent_at=now, sent_by=by, expires_at=_expiry(now),
    )
    proposal.status = Proposal.Status.OFFERED
    proposal.decided_at = now
    proposal.decided_by = by
    proposal.save(update_fields=["status", "decided_at", "decided_by"])
    patient_services.set_status(registration, Registration.Status.OFFERED, by=by, actor=actor,
                                reason=f"Offer sent to {clinic}")
    audit.record(
        user=by, action="create", obj=offer, actor=actor,
        summary=f"Sent offer for {registration.reference_code} to {proposal.provider} at {clinic}",
    )
    return offer


def _refuse_held(registration: Registration) -> None:
    # Nobody is attached on a registration whose people the registry does not recognise.
    if identity.is_held(registration.pk):
        raise WorkflowError(
            f"Registration {registration.reference_code} is held for an identity review: a PHN on it is known to "
            "the registry with other details. A coordinator resolves it under Waitlist → Identity reviews first."
        )


def send_offers(proposal_ids, *, by, actor=None) -> tuple[list[Offer], list[str]]:
    """Send many proposals at once; each is its own transaction, so one that no longer
    applies does not hold back the others. Returns (offers, problems)."""
    offers, problems = [], []
    for pid in sorted({int(i) for i in proposal_ids}):
        try:
            offers.append(send_offer(pid, by=by, actor=actor))
        except (WorkflowError, IntegrityError, Proposal.DoesNotExist) as exc:
            problems.append(f"Proposal {pid}: {exc}")
    return offers, problems


# --- offers: the clinic's answer -----------------------------------------------------

def _lock_offer(offer_id: int) -> Offer:
    return Offer.objects.select_for_update().get(pk=offer_id)


def _require(offer: Offer, *statuses, now=None):
    if offer.status not in statuses:
        raise WorkflowError(f"This offer is {offer.get_status_display().lower()}; that can no longer be done.")
    if offer.is_open and (now or timezone.now()) >= offer.expires_at:
        raise WorkflowError("This offer has expired; the place goes back to the waitlist.")


@transaction.atomic
def book_meet_and_greet(offer_id: int, *, at: datetime.datetime, by, actor=None) -> Offer:
    offer = _lock_offer(offer_id)
    _require(offer, Offer.Status.SENT, Offer.Status.CLINIC_ACCEPTED)
    before = offer.meet_and_greet_at
    offer.meet_and_greet_at = at
    offer.save(update_fields=["meet_and_greet_at"])
    audit.record(
        user=by, action="update", obj=offer, actor=actor, summary="Booked a meet-and-greet",
        changes={"meet_and_greet_at": [str(before) if before else None, str(at)]},
    )
    # The household has to know to come; the coordinator's offer page shows the same
    # words to phone through where there is no email.
    transaction.on_commit(lambda: notify_meet_and_greet(offer.pk))
    return offer


@transaction.atomic
def clinic_accept(offer_id: int, *, by, actor=None) -> Offer:
    """The clinic takes the household; the patient is told and has a fresh period to answer."""
    offer = _lock_offer(offer_id)
    now = timezone.now()
    _require(offer, Offer.Status.SENT, now=now)
    offer.status = Offer.Status.CLINIC_ACCEPTED
    offer.clinic_answered_at = now
    offer.clinic_answered_by = by
    offer.expires_at = _expiry(now)
    offer.save(update_fields=["status", "clinic_answered_at", "clinic_answered_by", "expires_at"])
    audit.record(user=by, action="status", obj=offer, actor=actor, summary="Clinic accepted the offer",
                 changes={"status": ["sent", "clinic_accepted"]})
    transaction.on_commit(lambda: notify_patient(offer.pk))
    return offer


@transaction.atomic
def clinic_decline(offer_id: int, *, by, reason: str, actor=None) -> Offer:
    """Only before accepting: once the household has been told yes, the clinic cannot take
    it back on its own (the coordinator can withdraw the offer)."""
    offer = Offer.objects.only("status").get(pk=offer_id)
    if offer.status == Offer.Status.CLINIC_ACCEPTED:
        raise WorkflowError("The clinic has accepted this household and it has been told; "
                            "ask the attachment coordinator to withdraw the offer.")
    return _decline(offer_id, by=by, reason=reason, who=DeclinedPair.By.CLINIC, actor=actor,
                    allowed=(Offer.Status.SENT,))


@transaction.atomic
def patient_decline(offer_id: int, *, by=None, reason: str, actor=None) -> Offer:
    return _decline(offer_id, by=by, reason=reason, who=DeclinedPair.By.PATIENT, actor=actor,
                    allowed=(Offer.Status.CLINIC_ACCEPTED,))


def _decline(offer_id, *, by, reason, who, actor, allowed):
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Give a reason for the decline.")
    offer = _lock_offer(offer_id)
    now = timezone.now()
    _require(offer, *allowed, now=now)
    old = offer.status
    if who == DeclinedPair.By.CLINIC:
        offer.status = Offer.Status.CLINIC_DECLINED
        offer.clinic_answered_at, offer.clinic_answered_by = now, by
    else:
        offer.status = Offer.Status.PATIENT_DECLINED
        offer.patient_answered_at, offer.patient_answer_recorded_by = now, by
    offer.decline_reason = reason[:300]
    offer.closed_at = now
    offer.save()
    _release(offer, by=by, reason=f"Offer declined by {who}: {reason}", actor=actor)
    DeclinedPair.objects.get_or_create(
        registration_id=offer.registration_id, provider_id=offer.provider_id,
        defaults={"by": who, "reason": reason[:300], "recorded_by": by},
    )
    audit.record(user=by, action="status", obj=offer, actor=actor, reason=reason,
                 summary=f"Offer declined by the {who}", changes={"status": [old, offer.status]})
    return offer


def _release(offer: Offer, *, by, reason: str, actor=None):
    """Give the offer's places back and put the household back on the waitlist."""
    give_back_places(offer.proposal)
    registration = Registration.objects.get(pk=offer.registration_id)
    if registration.status == Registration.Status.OFFERED:
        patient_services.set_status(registration, Registration.Status.WAITING, by=by, reason=reason[:300],
                                    actor=actor)


@transaction.atomic
def withdraw_offer(offer_id: int, *, by, reason: str, actor=None) -> Offer:
    """A coordinator takes an open offer back (the household moved, asked to wait, ...)."""
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Say why the offer is withdrawn.")
    offer = _lock_offer(offer_id)
    if not offer.is_open:
        raise WorkflowError(f"This offer is {offer.get_status_display().lower()}; it cannot be withdrawn.")
    old = offer.status
    offer.status = Offer.Status.WITHDRAWN
    offer.closed_at = timezone.now()
    offer.save(update_fields=["status", "closed_at"])
    _release(offer, by=by, reason=f"Offer withdrawn: {reason}", actor=actor)
    audit.record(user=by, action="status", obj=offer, actor=actor, reason=reason,
                 summary="Offer withdrawn", changes={"status": [old, "withdrawn"]})
    return offer


# --- the patient's answer: attachment ----------------------------------------------------

@transaction.atomic
def patient_confirm(offer_id: int, *, by=None, actor=None) -> Offer:
    """Attach the household: all or nothing.

    The offer becomes attached; every member gets an open PanelEntry with the provider
    (an older open entry with another provider is ended, since a person has one most
    responsible provider); the registration leaves the waitlist; the places the
    proposal took are now consumed (nothing to give back, nothing more to take); and
    the attach event is audited. `by` is the coordinator recording the answer, or None
    when the patient confirmed on the public page.
    """
    offer = _lock_offer(offer_id)
    now = timezone.now()
    _require(offer, Offer.Status.CLINIC_ACCEPTED, now=now)
    # Held in the same order as every other writer, so a capacity refresh or declaration
    # sees the attachment whole.
    capacity.lock_provider(offer.provider_id)
    registration = Registration.objects.select_for_update().get(pk=offer.registration_id)
    if registration.status != Registration.Status.OFFERED:
        raise WorkflowError(f"Registration {registration.reference_code} is {registration.get_status_display().lower()}.")
    _refuse_held(registration)
    members = list(Patient.objects.select_for_update().filter(registration=registration).order_by("id"))
    if not members:
        raise WorkflowError("The household has no members on record; add them before attaching.")

    offer.status = Offer.Status.ATTACHED
    offer.patient_answered_at = now
    offer.patient_answer_recorded_by = by
    offer.closed_at = now
    offer.save(update_fields=["status", "patient_answered_at", "patient_answer_recorded_by", "closed_at"])

    ended = PanelEntry.objects.filter(patient__in=members, ended_at__isnull=True).update(
        ended_at=now, end_reason=f"Attached to {offer.provider} through the registry"
    )
    PanelEntry.objects.bulk_create([
        PanelEntry(patient=m, provider_id=offer.provider_id, since=timezone.localdate(now),
                   source=PanelEntry.Source.ATTACH, created_by=by)
        for m in members
    ])
    patient_services.set_status(registration, Registration.Status.ATTACHED, by=by, actor=actor,
                                reason=f"Attached to {offer.provider}")
    audit.record(
        user=by, action="attach", obj=offer, actor=actor,
        summary=f"Attached {registration.reference_code} ({len(members)} people) to {offer.provider}"
        + ("" if by else " (confirmed by the patient online)"),
        changes={"status": ["clinic_accepted", "attached"], "panel_entries": len(members),
                 "ended_panel_entries": ended},
    )
    signals.household_attached.send(sender=Offer, offer=offer, actor=actor)
    return offer


# --- expiry ----------------------------------------------------------------------------

def expire_offers(now=None, *, actor=None) -> int:
    """Expire every open offer past its time. Each in its own transaction, re-checked
    under the offer's lock, so a clinic or patient answering at that instant wins or
    loses cleanly."""
    now = now or timezone.now()
    due = list(
        Offer.objects.filter(status__in=Offer.OPEN_STATUSES, expires_at__lte=now)
        .order_by("expires_at").values_list("pk", flat=True)
    )
    expired = 0
    for pk in due:
        if _expire_one(pk, now, actor):
            expired += 1
    return expired


@transaction.atomic
def _expire_one(offer_id: int, now, actor) -> bool:
    offer = _lock_offer(offer_id)
    if not offer.is_open or offer.expires_at > now:
        return False
    old = offer.status
    offer.status = Offer.Status.EXPIRED
    offer.closed_at = now
    offer.save(update_fields=["status", "closed_at"])
    _release(offer, by=None, reason="Offer expired without an answer", actor=actor)
    audit.record(actor=actor, action="status", obj=offer, summary="Offer expired without an answer",
                 changes={"status": [old, "expired"]})
    return True


# --- the message to the patient ------------------------------------------------------------

def confirm_path(offer: Offer) -> str:
    """The household's answer page, /offer/<code>/."""
    return reverse("offer:respond", args=[offer.registration.reference_code])


def _when(moment) -> str:
    """A meet-and-greet's day and time, as the active language writes them."""
    local = timezone.localtime(moment)
    return _("%(weekday)s %(date)s at %(time)s") % {
        "weekday": date_format(local, "l"), "date": date_format(local, "DATE_FORMAT"),
        "time": time_format(local, "TIME_FORMAT"),
    }


def _clinic_line(clinic) -> str:
    if clinic.phone:
        return _("Clinic: %(name)s, %(address)s, %(phone)s") % {
            "name": clinic.name, "address": clinic.address, "phone": clinic.phone}
    return _("Clinic: %(name)s, %(address)s") % {"name": clinic.name, "address": clinic.address}


def patient_message(offer: Offer) -> str:
    """What the patient is told once the clinic accepts: by email (in the household's
    language), and read out by phone (on the staff page, in English)."""
    provider, clinic = offer.provider, offer.clinic
    code = offer.registration.reference_code
    lines = [
        _("Good news: %(provider)s at %(clinic)s can be your family's primary care provider.") % {
            "provider": provider, "clinic": clinic.name},
        _clinic_line(clinic),
    ]
    if offer.meet_and_greet_at:
        lines.append(_("A meet-and-greet is booked for %(when)s.") % {"when": _when(offer.meet_and_greet_at)})
    lines.append(
        _("Please tell us by %(date)s whether you accept. Your reference code is %(code)s.") % {
            "date": date_format(timezone.localtime(offer.expires_at), "DATE_FORMAT"), "code": code}
    )
    lines.append(
        _("You can answer online at %(url)s with your reference code and date of birth, "
          "or reply to your attachment coordinator.") % {"url": absolute_url(confirm_path(offer))}
    )
    return "\n".join(lines)


def meet_and_greet_message(offer: Offer) -> str:
    """What the household is told when the clinic books a meet-and-greet."""
    provider, clinic = offer.provider, offer.clinic
    if clinic.phone:
        call = _("If this time does not suit you, please call the clinic at %(phone)s "
                 "or reply to your attachment coordinator.") % {"phone": clinic.phone}
    else:
        call = _("If this time does not suit you, please call the clinic or reply to your attachment coordinator.")
    return "\n".join([
        _("%(clinic)s would like to meet you before %(provider)s takes your family on as patients.") % {
            "clinic": clinic.name, "provider": provider},
        _("A meet-and-greet is booked for %(when)s.") % {"when": _when(offer.meet_and_greet_at)},
        _clinic_line(clinic),
        call,
        _("Your reference code is %(code)s.") % {"code": offer.registration.reference_code},
    ])


def notify_meet_and_greet(offer_id: int) -> bool:
    """Email the household its meet-and-greet, where it gave an address."""
    offer = Offer.objects.select_related("registration", "provider", "clinic").get(pk=offer_id)
    if not offer.registration.email or not offer.meet_and_greet_at:
        return False
    try:
        with i18n.for_registration(offer.registration):
            subject = _("Your meet-and-greet with a family doctor or nurse practitioner")
            body = meet_and_greet_message(offer)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [offer.registration.email])
    except Exception:  # the booking stands; the coordinator still phones it through
        log.exception("could not email the meet-and-greet of offer %s", offer_id)
        return False
    Offer.objects.filter(pk=offer_id).update(meet_and_greet_notified_at=timezone.now())
    return True


def notify_patient(offer_id: int) -> bool:
    """Email the household the clinic's acceptance, where it gave an address."""
    offer = Offer.objects.select_related("registration", "provider", "clinic").get(pk=offer_id)
    email = offer.registration.email
    if not email:
        return False
    try:
        with i18n.for_registration(offer.registration):
            subject = _("A family doctor or nurse practitioner can take you")
            body = patient_message(offer)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    except Exception:  # the acceptance stands; the coordinator still phones the message through
        log.exception("could not email offer %s", offer_id)
        return False
    Offer.objects.filter(pk=offer_id).update(patient_notified_at=timezone.now())
    return True
