"""Clinic and Provider Registry writes: delegation, profiles, clinic pages and staff.

Delegation is the MOA's whole scope: `act_for_provider` is granted when the other party
confirms and removed in the same transaction that ends it, so access stops at once.
Either side may start it (seed 001's endorsement process): the provider endorses a
staff member, or a staff member asks a provider; the other party is emailed a link to
confirm, and nothing is granted until they do.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from attachment.core import audit, roles
from attachment.core.errors import DomainError
from attachment.core.http import absolute_url
from providers.models import Clinic, ClinicMembership, Delegation, Provider

log = logging.getLogger("attach.providers")

PROFILE_FIELDS = ["kind", "practitioner_number", "first_name", "last_name", "gender", "languages", "declines_needs"]
CLINIC_FIELDS = [
    "name", "community_id", "address", "postal_code", "phone", "fax", "email", "hours", "languages",
    "accessibility_notes",
]


class DelegationError(DomainError):
    pass


def eligible_delegates(provider: Provider):
    """Staff of the provider's clinics, who are the people a provider may endorse."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model().objects.filter(clinic_memberships__clinic__in=provider.clinics.all(), is_active=True)
        .exclude(pk=provider.user_id or 0)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def providers_to_ask(user):
    """Providers a staff member may ask to act for: those of the clinics they work at who
    have an account to confirm with, and no open delegation to them yet."""
    open_to_user = Delegation.objects.filter(delegate=user).exclude(status=Delegation.Status.ENDED)
    return (
        Provider.objects.filter(clinics__memberships__user=user, user__isnull=False, user__is_active=True)
        .exclude(user=user).exclude(pk__in=open_to_user.values("provider_id"))
        .distinct().order_by("last_name", "first_name")
    )


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def endorse(provider: Provider, delegate, *, by, actor=None) -> Delegation:
    """The provider endorses a staff member of one of their clinics to act for them; the
    staff member is emailed to confirm."""
    if provider.user_id != by.pk:
        raise PermissionDenied("Only the provider can endorse someone to act for them.")
    if not eligible_delegates(provider).filter(pk=delegate.pk).exists():
        raise DelegationError({"delegate": "Choose a staff member of one of your clinics."})
    Provider.objects.select_for_update().get(pk=provider.pk)
    existing = Delegation.objects.filter(provider=provider, delegate=delegate).exclude(status=Delegation.Status.ENDED)
    if existing.filter(status=Delegation.Status.REQUESTED).exists():
        raise DelegationError({"delegate": "This person has asked to act for you; confirm their request below."})
    if existing.exists():
        raise DelegationError({"delegate": "This person already has an endorsement from you."})
    delegation = Delegation.objects.create(provider=provider, delegate=delegate, endorsed_by=by)
    audit.record(user=by, action="delegation", obj=delegation, actor=actor,
                 summary=f"{provider} endorsed {delegate.get_username()} to act for them")
    transaction.on_commit(lambda: _ask_to_confirm(delegation.pk))
    return delegation


@transaction.atomic
def request_endorsement(provider: Provider, *, by, actor=None) -> Delegation:
    """A staff member asks a provider of their clinic to let them act for them; the
    provider is emailed to confirm."""
    if not providers_to_ask(by).filter(pk=provider.pk).exists():
        if Delegation.objects.filter(provider=provider, delegate=by).exclude(status=Delegation.Status.ENDED).exists():
            raise DelegationError({"provider": f"You already have an endorsement with {provider}, open or pending."})
        raise DelegationError({"provider": "Choose a provider of a clinic you work at who has an account here."})
    Provider.objects.select_for_update().get(pk=provider.pk)
    # Re-checked under the provider's lock (and by the one-open-per-pair constraint).
    if Delegation.objects.filter(provider=provider, delegate=by).exclude(status=Delegation.Status.ENDED).exists():
        raise DelegationError({"provider": f"You already have an endorsement with {provider}, open or pending."})
    delegation = Delegation.objects.create(provider=provider, delegate=by, endorsed_by=by,
                                           status=Delegation.Status.REQUESTED)
    audit.record(user=by, action="delegation", obj=delegation, actor=actor,
                 summary=f"{by.get_username()} asked {provider} to let them act for them")
    transaction.on_commit(lambda: _ask_to_confirm(delegation.pk))
    return delegation


def confirmer(delegation: Delegation):
    """Who must confirm: the staff member for an endorsement, the provider for a request."""
    if delegation.status == Delegation.Status.REQUESTED:
        return delegation.provider.user
    return delegation.delegate


def _ask_to_confirm(delegation_id: int) -> bool:
    """Email the other party a link to confirm; the pending item also waits on their page."""
    delegation = Delegation.objects.select_related("provider__user", "delegate").get(pk=delegation_id)
    if delegation.status == Delegation.Status.REQUESTED:
        to = delegation.provider.user
        subject = "A staff member asks to act for you in Attach"
        body = (f"{_name(delegation.delegate)} ({delegation.delegate.get_username()}) asks to act for you, "
                f"{delegation.provider}, in Attach: to keep your panel and capacity current and to answer "
                "offers of new patients for you.\n"
                f"Confirm or decline: {absolute_url(reverse('providers:delegations', args=[delegation.provider_id]))}\n"
                "Nothing changes until you confirm.")
    elif delegation.status == Delegation.Status.ENDORSED:
        to = delegation.delegate
        subject = f"{delegation.provider} endorsed you to act for them in Attach"
        body = (f"{delegation.provider} endorsed you to act for them in Attach: to keep their panel and "
                "capacity current and to answer offers of new patients for them.\n"
                f"Confirm or decline: {absolute_url(reverse('providers:workspace'))}\n"
                "Nothing changes until you confirm.")
    else:
        return False
    if to is None or not to.email:
        return False
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to.email])
    except Exception:  # the endorsement stands and waits on their page
        log.exception("could not email delegation %s", delegation_id)
        return False
    return True


@transaction.atomic
def accept(delegation: Delegation, *, by, actor=None) -> Delegation:
    """The other party confirms; from now on the staff member acts for the provider."""
    delegation = Delegation.objects.select_for_update().select_related("provider", "delegate").get(pk=delegation.pk)
    if delegation.status == Delegation.Status.REQUESTED:
        if delegation.provider.user_id != by.pk:
            raise PermissionDenied("Only the provider asked can confirm.")
    elif delegation.delegate_id != by.pk:
        raise PermissionDenied("Only the person endorsed can accept.")
    if delegation.status not in (Delegation.Status.ENDORSED, Delegation.Status.REQUESTED):
        raise DelegationError(f"This delegation is {delegation.get_status_display().lower()}.")
    delegate = delegation.delegate
    delegation.status = Delegation.Status.ACTIVE
    delegation.accepted_at = timezone.now()
    delegation.save(update_fields=["status", "accepted_at"])
    roles.add_role(delegate, roles.MOA)
    roles.grant_provider(delegate, delegation.provider)
    summary = (f"{by.get_username()} accepted to act for {delegation.provider}" if by.pk == delegate.pk
               else f"{delegation.provider} confirmed {delegate.get_username()}'s request to act for them")
    audit.record(user=by, action="delegation", obj=delegation, actor=actor, summary=summary)
    return delegation


@transaction.atomic
def end(delegation: Delegation, *, by, reason: str = "", actor=None) -> Delegation:
    """Either side ends the delegation; the access goes in the same transaction."""
    delegation = Delegation.objects.select_for_update().select_related("provider", "delegate").get(pk=delegation.pk)
    if by.pk not in (delegation.delegate_id, delegation.provider.user_id) and not roles.has_role(by, roles.ADMINISTRATOR):
        raise PermissionDenied("Only the provider or the delegate can end a delegation.")
    if delegation.status == Delegation.Status.ENDED:
        raise DelegationError("This delegation has already ended.")
    delegation.status = Delegation.Status.ENDED
    delegation.ended_at = timezone.now()
    delegation.ended_by = by
    delegation.save(update_fields=["status", "ended_at", "ended_by"])
    roles.revoke_provider(delegation.delegate, delegation.provider)
    audit.record(user=by, action="delegation", obj=delegation, actor=actor, reason=reason,
                 summary=f"Delegation of {delegation.provider} to {delegation.delegate.get_username()} ended")
    return delegation


@transaction.atomic
def update_provider_profile(provider: Provider, *, data: dict, communities=None, by, actor=None) -> Provider:
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    before = audit.snapshot(provider, PROFILE_FIELDS)
    before_communities = sorted(provider.communities.values_list("pk", flat=True))
    for name in PROFILE_FIELDS:
        if name in data:
            setattr(provider, name, data[name])
    provider.full_clean(exclude=["user", "clinics", "communities"])
    provider.save()
    changes = audit.diff(provider, before, PROFILE_FIELDS)
    if communities is not None:
        provider.communities.set(communities)
        after = sorted(c.pk for c in communities)
        if after != before_communities:
            changes["communities"] = [before_communities, after]
    audit.record(user=by, action="update", obj=provider, actor=actor, summary="Provider profile updated",
                 changes=changes)
    return provider


@transaction.atomic
def update_clinic(clinic: Clinic, *, data: dict, by, actor=None) -> Clinic:
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    before = audit.snapshot(clinic, CLINIC_FIELDS)
    for name in CLINIC_FIELDS:
        if name in data:
            setattr(clinic, name, data[name])
    clinic.full_clean()
    clinic.save()
    audit.record(user=by, action="update", obj=clinic, actor=actor, summary="Clinic profile updated",
                 changes=audit.diff(clinic, before, CLINIC_FIELDS))
    return clinic


@transaction.atomic
def add_staff(clinic: Clinic, user, *, role: str, by, actor=None) -> ClinicMembership:
    membership, created = ClinicMembership.objects.get_or_create(clinic=clinic, user=user, defaults={"role": role})
    if not created:
        raise ValidationError({"username": "This person is already on the clinic's staff."})
    roles.add_role(user, roles.CLINIC_LEAD if role == ClinicMembership.Role.LEAD else roles.MOA)
    if role == ClinicMembership.Role.LEAD:
        from guardian.shortcuts import assign_perm

        assign_perm("providers.manage_clinic", user, clinic)
    audit.record(user=by, action="create", obj=membership, actor=actor,
                 summary=f"{user.get_username()} added to {clinic} as {membership.get_role_display()}")
    return membership


@transaction.atomic
def remove_staff(membership: ClinicMembership, *, by, actor=None) -> None:
    """Leaving the clinic ends every delegation the person holds from its providers."""
    membership = ClinicMembership.objects.select_for_update().select_related("clinic", "user").get(pk=membership.pk)
    clinic, user = membership.clinic, membership.user
    if membership.role == ClinicMembership.Role.LEAD:
        from guardian.shortcuts import remove_perm

        remove_perm("providers.manage_clinic", user, clinic)
    open_delegations = Delegation.objects.filter(delegate=user, provider__clinics=clinic).exclude(
        status=Delegation.Status.ENDED
    )
    for delegation in open_delegations:
        _end_by_clinic(delegation, by=by, clinic=clinic, actor=actor)
    audit.record(user=by, action="update", obj=clinic, actor=actor,
                 summary=f"{user.get_username()} removed from the staff of {clinic}")
    membership.delete()


def _end_by_clinic(delegation: Delegation, *, by, clinic, actor=None) -> None:
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    delegation.status = Delegation.Status.ENDED
    delegation.ended_at = timezone.now()
    delegation.ended_by = by
    delegation.save(update_fields=["status", "ended_at", "ended_by"])
    roles.revoke_provider(delegation.delegate, delegation.provider)
    audit.record(user=by, action="delegation", obj=delegation, actor=actor,
                 reason=f"Left the staff of {clinic}", summary="Delegation ended by the clinic lead")
