"""Reads of the attachment workflow that views share. Every one is scoped to a user."""

import datetime

from django.utils import timezone

from attachment.core import access
from attachment.workflow.models import Offer, Proposal
from patients.models import Patient
from registries.vocab import NEED_NAMES, language_name


def runs_for(user):
    """Runs within the coordinator's divisions (or region-wide runs, which cover them)."""
    return access.coordinator_runs(user).select_related("started_by").order_by("-started_at")


def proposals_for(user, *, community=None, run_id=None, status=Proposal.Status.PROPOSED):
    qs = access.coordinator_proposals(user).filter(status=status).select_related(
        "registration__community", "provider", "match_run"
    )
    if community:
        qs = qs.filter(registration__community=community)
    if run_id:
        qs = qs.filter(match_run_id=run_id)
    return qs.order_by("-registration__effective_priority", "registration__registered_at", "registration__reference_code")


def count_by_provider(proposal_ids):
    """[(provider, proposals, people)] for the confirmation page, most first."""
    from django.db.models import Count, Sum

    from providers.models import Provider

    rows = (Proposal.objects.filter(pk__in=proposal_ids).values("provider")
            .annotate(n=Count("id"), people=Sum("places")).order_by("-n", "provider"))
    names = Provider.objects.in_bulk([r["provider"] for r in rows])
    return [(names[r["provider"]], r["n"], r["people"]) for r in rows]


def unplaced_of_run(user, run):
    """The households `run` left without a proposal, in turn order, within the user's divisions."""
    return (
        access.coordinator_unplaced(user).filter(match_run=run)
        .select_related("registration__community")
        .order_by("-registration__effective_priority", "registration__registered_at", "registration__reference_code")
    )


def unplaced_reasons(user, run, limit=10):
    """[(reason, households)] for `run`, commonest first: the page's summary."""
    from django.db.models import Count

    return list(
        access.coordinator_unplaced(user).filter(match_run=run).values_list("reason")
        .annotate(n=Count("id")).order_by("-n", "reason")[:limit]
    )


def coordinator_offers(user, *, status=None):
    qs = access.coordinator_offers(user).select_related("registration__community", "provider", "clinic")
    if status == "open":
        qs = qs.filter(status__in=Offer.OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-sent_at", "-id")


def inbox_offers(user, *, status=None):
    """Offers to the providers this user acts for, open ones unless `status` says otherwise."""
    qs = access.clinic_offers(user).select_related("registration", "provider", "clinic")
    if status == "open" or status is None:
        qs = qs.filter(status__in=Offer.OPEN_STATUSES)
    elif status != "all":
        qs = qs.filter(status=status)
    return qs.order_by("expires_at", "id")


def waiting_for_clinic(user) -> int:
    """How many offers to the providers this user acts for wait for the clinic's answer."""
    return access.clinic_offers(user).filter(status=Offer.Status.SENT, expires_at__gt=timezone.now()).count()


def age_on(born: datetime.date, today: datetime.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def household_profile(registration) -> dict:
    """The short profile a clinic needs to decide: names, ages, needs, languages, contact.

    No PHN, no address beyond the community, no priority factors.
    """
    today = timezone.localdate()
    members = Patient.objects.filter(registration=registration).order_by("-is_primary_contact", "id")
    return {
        "reference_code": registration.reference_code,
        "community": registration.community.name,
        "size": registration.household_size,
        "members": [
            {"name": f"{m.first_name} {m.last_name}", "age": age_on(m.date_of_birth, today),
             "primary": m.is_primary_contact}
            for m in members
        ],
        "needs": [NEED_NAMES.get(n, n) for n in registration.needs],
        "languages": [language_name(code) for code in registration.languages],
        "phone": registration.phone,
        "email": registration.email,
    }


def open_offer_for_registration(registration):
    """The offer awaiting this household's answer, if any."""
    return (
        Offer.objects.filter(registration=registration, status=Offer.Status.CLINIC_ACCEPTED)
        .select_related("provider", "clinic", "registration").first()
    )

