"""What a household may change on its own page (after patients.otp proved it). One transaction each.

Every change is the registrant's: audited with the household as its author (no user, the
request's address, "self-service by the household"), with the field diffs, and listed for
the coordinator on the registration page (SelfServiceChange). Priority is recomputed by the
one rule (patients.priority through services.derived_factors). A PHN the registry already
knows with another name or date of birth never changes who that person is: it is an
IdentityConflict for a coordinator (patients.identity), as on the registration form.
"""

from __future__ import annotations

import dataclasses

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from attachment.core import audit
from attachment.core.errors import DomainError
from patients import identity, services
from patients.models import IdentityConflict, Patient, Registration, SelfServiceChange
from patients.priority import compute_priority, needs_for
from registries.phn import normalize_phn, validate_phn

VIA = "self-service by the household"
CONTACT_FIELDS = ["phone", "email", "address", "postal_code"]
MAX_HOUSEHOLD = 12  # the registration form's limit


class SelfServiceError(DomainError):
    pass


def registrant(actor: audit.Actor) -> audit.Actor:
    """The request's actor as the registrant: nobody signed in, the change made by the household."""
    return dataclasses.replace(actor, user=None, via=VIA)


def _locked_open(registration: Registration) -> Registration:
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    if not locked.is_open:
        raise SelfServiceError(_("This registration is no longer on the waitlist, so it cannot be changed here."))
    return locked


def _recompute(locked: Registration, people) -> None:
    locked.priority_factors = services.derived_factors(locked.priority_factors, list(people))
    locked.needs = needs_for(locked.priority_factors)
    locked.priority = compute_priority(locked.priority_factors).value


def _note(locked, kind, summary, changes, actor):
    SelfServiceChange.objects.create(registration=locked, kind=kind, summary=summary[:300], changes=changes)
    audit.record(action="update", obj=locked, actor=registrant(actor), summary=f"Self-service: {summary}",
                 changes=changes)


@transaction.atomic
def update_contact(registration, *, phone: str, email: str, address: str, postal_code: str, actor) -> dict:
    """New contact details; {field: [old, new]} of what changed (nothing saved when nothing did)."""
    locked = _locked_open(registration)
    before = audit.snapshot(locked, CONTACT_FIELDS)
    locked.phone, locked.email = phone.strip(), email.strip().lower()
    locked.address, locked.postal_code = address.strip(), postal_code.upper().replace(" ", "")
    if not (locked.phone or locked.email):
        raise SelfServiceError({"phone": _("Give a phone number or an email address, so we can reach you.")})
    changes = audit.diff(locked, before, CONTACT_FIELDS)
    if changes:
        locked.save(update_fields=CONTACT_FIELDS)
        _note(locked, SelfServiceChange.Kind.CONTACT, "Contact details changed: " + ", ".join(changes), changes, actor)
    return changes


@transaction.atomic
def change_needs(registration, *, factors: list[str], actor) -> dict:
    """New answers to the health questions; priority and needs recomputed by the one rule."""
    locked = _locked_open(registration)
    people = list(Patient.objects.filter(registration=locked))
    fields = ["priority_factors", "needs", "priority"]
    before = audit.snapshot(locked, fields)
    locked.priority_factors = list(dict.fromkeys(factors))
    _recompute(locked, people)
    changes = audit.diff(locked, before, fields)
    if changes:
        locked.save(update_fields=fields)
        _note(locked, SelfServiceChange.Kind.NEEDS,
              f"Health needs changed; priority {before['priority']} → {locked.priority}", changes, actor)
    return changes


@transaction.atomic
def add_member(registration, member: services.Member, *, actor) -> Registration:
    """A new member (a newborn, a partner). A PHN the registry knows joins as the registry knows
    it; with other details, or waiting elsewhere, it is held for a coordinator and the household
    is told nothing different."""
    locked = _locked_open(registration)
    phn = normalize_phn(member.phn)
    validate_phn(phn)
    people = list(Patient.objects.select_for_update().filter(registration=locked).order_by("pk"))
    if locked.household_size >= MAX_HOUSEHOLD:
        raise SelfServiceError(_("A registration can have at most 12 people."))
    if any(p.phn == phn for p in people):
        raise SelfServiceError({"phn": _("This person is already in your household.")})
    first_name, last_name = member.first_name.strip(), member.last_name.strip()
    known = Patient.objects.select_for_update(of=("self",)).select_related("registration").filter(phn=phn).first()
    held = None
    if known is not None:
        if known.registration_id and known.registration.is_open:
            held = IdentityConflict.Kind.DUPLICATE
        elif not identity.same_person(known, first_name=first_name, last_name=last_name,
                                      date_of_birth=member.date_of_birth):
            held = IdentityConflict.Kind.DETAILS
    if held is not None:
        IdentityConflict.objects.get_or_create(
            registration=locked, patient=known,
            defaults={"kind": held, "claimed_first_name": first_name, "claimed_last_name": last_name,
                      "claimed_date_of_birth": member.date_of_birth, "claimed_gender": member.gender or ""},
        )
        person = known
    elif known is not None:
        known.registration, known.is_primary_contact = locked, False
        known.save(update_fields=["registration", "is_primary_contact"])
        person = known
    else:
        person = Patient.objects.create(
            phn=phn, first_name=first_name, last_name=last_name, date_of_birth=member.date_of_birth,
            gender=member.gender or "", postal_code=locked.postal_code, registration=locked,
        )
    before = audit.snapshot(locked, ["household_size", "priority"])
    locked.household_size += 1
    _recompute(locked, people + ([person] if held is None else []))
    locked.save(update_fields=["household_size", "priority_factors", "needs", "priority"])
    changes = audit.diff(locked, before, ["household_size", "priority"])
    summary = f"Household member added (born {member.date_of_birth:%Y-%m-%d})"
    if held is not None:
        summary += "; held for an identity review"
    _note(locked, SelfServiceChange.Kind.MEMBER_ADDED, summary, changes, actor)
    audit.record(action="update" if known else "create", obj=person, actor=registrant(actor),
                 summary=f"Self-service: added to {locked.reference_code}" + ("; held" if held else ""))
    locked.refresh_from_db()
    return locked


@transaction.atomic
def remove_member(registration, patient_id: int, *, actor) -> Registration:
    """A member leaves the household (moved out, found their own provider). The last one cannot."""
    locked = _locked_open(registration)
    people = list(Patient.objects.select_for_update().filter(registration=locked).order_by("-is_primary_contact", "pk"))
    leaving = next((p for p in people if p.pk == patient_id), None)
    if leaving is None:
        raise SelfServiceError(_("That person is not in this household."))
    staying = [p for p in people if p.pk != patient_id]
    if not staying:
        raise SelfServiceError(_("The last person cannot be removed. To leave the waitlist, use “Leave the waitlist”."))
    leaving.registration, was_primary, leaving.is_primary_contact = None, leaving.is_primary_contact, False
    leaving.save(update_fields=["registration", "is_primary_contact"])
    if was_primary:
        staying[0].is_primary_contact = True
        staying[0].save(update_fields=["is_primary_contact"])
    before = audit.snapshot(locked, ["household_size", "priority"])
    locked.household_size = max(1, locked.household_size - 1)
    # The reported factors stay as answered; only what the ages tell is re-derived.
    _recompute(locked, staying)
    locked.save(update_fields=["household_size", "priority_factors", "needs", "priority"])
    changes = audit.diff(locked, before, ["household_size", "priority"])
    _note(locked, SelfServiceChange.Kind.MEMBER_REMOVED, "Household member removed", changes, actor)
    audit.record(action="update", obj=leaving, actor=registrant(actor),
                 summary=f"Self-service: removed from {locked.reference_code}")
    locked.refresh_from_db()
    return locked


LEAVE_REASONS = [
    ("found_own_provider", _("I found a family doctor or nurse practitioner")),
    ("no_longer_needed", _("I no longer need one")),
    ("moving_away", _("I am moving out of the area")),
]
# The words kept in the status history, in the coordinators' vocabulary (services.WITHDRAW_REASONS).
_LEAVE_RECORDED = {
    "found_own_provider": "Found a provider on their own",
    "no_longer_needed": "No longer needs a provider",
    "moving_away": "Asked to be removed: moving away",
}


@transaction.atomic
def leave_waitlist(registration, *, reason: str, actor) -> Registration:
    """"I found a provider": withdrawn through the one status-change service."""
    if reason not in _LEAVE_RECORDED:
        raise SelfServiceError({"reason": _("Choose why you are leaving the waitlist.")})
    locked = _locked_open(registration)
    if locked.status != Registration.Status.WAITING:
        raise SelfServiceError(_("A provider has already been offered to you: answer the offer in the email we sent."))
    recorded = f"{_LEAVE_RECORDED[reason]} (self-service)"
    services.withdraw(locked, reason=recorded, by=None, actor=registrant(actor))
    SelfServiceChange.objects.create(registration=locked, kind=SelfServiceChange.Kind.LEFT,
                                     summary=f"Left the waitlist: {_LEAVE_RECORDED[reason]}",
                                     changes={"status": ["waiting", "withdrawn"]})
    locked.refresh_from_db()
    return locked
