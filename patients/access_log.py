"""Who looked at my record: the household's own view of the audit trail.

Every event of the trail about the registration, its members or its offers, newest first:
when, what was done (seen, changed, ...), by which role and organisation (the division whose
coordinators keep the waitlist, the clinic of an offer), and why where a reason was given.
Never a staff member's name, username or address: the household sees the role and the
organisation, which is what it can act on (ask the division, complain to the clinic), and
the trail keeps who for the privacy officer. Shown only on the household's own page
(access.household_registration).

The role and organisation are the person's as they stand when the log is read (the trail
records the user; a staff member's roles rarely change).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from attachment.core import roles
from attachment.core.models import AuditEvent
from attachment.workflow.models import Offer
from patients.models import Patient, Registration
from providers.models import ClinicMembership, Provider

LIMIT = 100  # the newest accesses; the privacy officer holds the rest

ACTIONS = {
    "view": _("Looked at your record"),
    "search": _("Found your record in a search"),
    "export": _("Exported your record"),
    "create": _("Added to your record"),
    "update": _("Changed your record"),
    "status": _("Changed your status"),
    "attach": _("Attached you to a provider"),
    "delegation": _("Changed who may act for a provider"),
    "login": _("Signed in"),
}
ROLE_NAMES = {
    roles.COORDINATOR: _("Attachment coordinator"),
    roles.MOA: _("Medical office assistant"),
    roles.CLINIC_LEAD: _("Clinic lead"),
    roles.PROVIDER: _("Family doctor or nurse practitioner"),
    roles.MANAGER: _("Division manager"),
    roles.ADMINISTRATOR: _("System administrator"),
    roles.CARE_COORDINATOR: _("Care coordinator"),
}


@dataclass(frozen=True)
class Access:
    at: object
    what: str
    role: str
    organisation: str
    reason: str


def _events(registration: Registration):
    member_ids = [str(pk) for pk in Patient.objects.filter(registration=registration).values_list("pk", flat=True)]
    offer_ids = [str(pk) for pk in Offer.objects.filter(registration=registration).values_list("pk", flat=True)]
    where = Q(object_type=Registration._meta.label, object_id=str(registration.pk))
    if member_ids:
        where |= Q(object_type=Patient._meta.label, object_id__in=member_ids)
    if offer_ids:
        where |= Q(object_type=Offer._meta.label, object_id__in=offer_ids)
    return (AuditEvent.objects.filter(where).order_by("-at", "-pk")
            .only("at", "action", "user_id", "reason", "summary")[:LIMIT])


def accesses(registration: Registration) -> list[Access]:
    """The household's access log (see the module's doc)."""
    events = list(_events(registration))
    users = {e.user_id for e in events if e.user_id}
    role_of, org_of = _roles_and_organisations(registration, users)
    out = []
    for e in events:
        if e.user_id:
            role, organisation = role_of.get(e.user_id, _("Staff")), org_of.get(e.user_id, "")
        elif "(task " in e.summary:
            role, organisation = _("Automatic process"), _("Health Connect Registry")
        else:
            role, organisation = _("You, or someone with your reference code"), _("Online")
        out.append(Access(at=e.at, what=ACTIONS.get(e.action, e.action), role=str(role),
                          organisation=str(organisation), reason=e.reason))
    return out


def _roles_and_organisations(registration, user_ids):
    """{user id: the role they acted in}, {user id: its organisation}, in a few queries for all."""
    if not user_ids:
        return {}, {}
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(pk__in=user_ids).prefetch_related("groups")
    offer_clinics = {}
    for clinic_id, name in Offer.objects.filter(registration=registration).values_list("clinic_id", "clinic__name"):
        offer_clinics[clinic_id] = name
    memberships = {}
    for user_id, clinic_id, name in ClinicMembership.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "clinic_id", "clinic__name"):
        memberships.setdefault(user_id, []).append((clinic_id, name))
    provider_clinics = {}
    for user_id, clinic_id, name in Provider.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "clinics__id", "clinics__name"):
        if clinic_id:
            provider_clinics.setdefault(user_id, []).append((clinic_id, name))
    division = registration.division.name
    role_of, org_of = {}, {}
    for user in users:
        held = {g.name for g in user.groups.all()}
        clinics = memberships.get(user.pk, []) + provider_clinics.get(user.pk, [])
        # The clinic the household knows: one that was offered to it, else the person's first.
        offered = [name for cid, name in clinics if cid in offer_clinics]
        for role in (roles.COORDINATOR, roles.MOA, roles.CLINIC_LEAD, roles.PROVIDER, roles.CARE_COORDINATOR,
                     roles.MANAGER, roles.ADMINISTRATOR):
            if role in held:
                role_of[user.pk] = str(ROLE_NAMES[role])
                break
        if held & {roles.MOA, roles.CLINIC_LEAD, roles.PROVIDER} and clinics:
            org_of[user.pk] = offered[0] if offered else clinics[0][1]
        elif held & {roles.COORDINATOR, roles.MANAGER}:
            org_of[user.pk] = division
        elif roles.ADMINISTRATOR in held or user.is_superuser:
            role_of.setdefault(user.pk, str(ROLE_NAMES[roles.ADMINISTRATOR]))
            org_of[user.pk] = str(_("Health Connect Registry"))
        elif roles.CARE_COORDINATOR in held:
            org_of[user.pk] = str(_("Primary care network"))
    return role_of, org_of
