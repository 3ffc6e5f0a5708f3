"""Who may see or change what: the one module that answers it, for pages, tasks and the API.

Two kinds of answer:
- scopes: the records a user may see, as querysets (a coordinator's divisions, the
  providers an MOA acts for, ...), for lists and searches to filter on;
- look-ups of one record in scope, which raise 404 for anything outside it, so that a
  record in another scope is indistinguishable from one that does not exist.

Scopes are django-guardian object permissions (see `roles` for who holds which):
`coordinate_division` and `view_division_reports` on a Division, `act_for_provider` on
a Provider (granted while a delegation is active), `manage_clinic` on a Clinic.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from attachment.core import roles
from attachment.workflow.models import MatchRun, Offer, Proposal
from patients.models import Registration
from providers.models import Clinic, Provider
from registries.models import Division, PanelUpload

# --- scopes -------------------------------------------------------------------------


def coordinator_divisions(user):
    """The divisions whose waitlist the user coordinates."""
    if not roles.has_role(user, roles.COORDINATOR):
        return Division.objects.none()
    return get_objects_for_user(user, "registries.coordinate_division", klass=Division, accept_global_perms=False)


def manager_divisions(user):
    """The divisions whose aggregate reports the user may read (coordinators read their own)."""
    if not roles.has_role(user, roles.MANAGER, roles.COORDINATOR):
        return Division.objects.none()
    return get_objects_for_user(
        user,
        ["registries.view_division_reports", "registries.coordinate_division"],
        klass=Division,
        any_perm=True,
        accept_global_perms=False,
    )


def acting_providers(user):
    """Providers the user acts for: themself (a provider), and those with an active delegation to them."""
    if not user.is_authenticated:
        return Provider.objects.none()
    delegated = get_objects_for_user(user, "providers.act_for_provider", klass=Provider, accept_global_perms=False)
    own = Provider.objects.filter(user=user)
    return Provider.objects.filter(pk__in=delegated.values("pk")) | own


def managed_clinics(user):
    """Clinics whose profile, hours and staff the user keeps (clinic leads)."""
    if not user.is_authenticated:
        return Clinic.objects.none()
    return get_objects_for_user(user, "providers.manage_clinic", klass=Clinic, accept_global_perms=False)


def providers_in_divisions(divisions):
    return Provider.objects.filter(
        Q(clinics__community__division__in=divisions) | Q(communities__division__in=divisions)
    ).distinct()


def readable_providers(user):
    """Acting providers, plus (read only) those a coordinator's divisions or a clinic lead's clinics cover."""
    ids = set(acting_providers(user).values_list("pk", flat=True))
    divisions = coordinator_divisions(user)
    if divisions.exists():
        ids |= set(providers_in_divisions(divisions).values_list("pk", flat=True))
    clinics = managed_clinics(user)
    if clinics.exists():
        ids |= set(Provider.objects.filter(clinics__in=clinics).values_list("pk", flat=True))
    return Provider.objects.filter(pk__in=ids)


def panel_readable_providers(user):
    """Providers whose panel (names, PHNs, dates of birth) the user may read: those they act
    for, and those in a coordinator's divisions. A clinic lead reads the clinic's provider
    profiles but not their panels, unless a provider delegated to them."""
    ids = set(acting_providers(user).values_list("pk", flat=True))
    divisions = coordinator_divisions(user)
    if divisions.exists():
        ids |= set(providers_in_divisions(divisions).values_list("pk", flat=True))
    return Provider.objects.filter(pk__in=ids)


def readable_clinics(user):
    """Clinics a person may read: coordinators (their divisions), staff and leads (their clinics), providers (theirs)."""
    q = Q(memberships__user=user) | Q(providers__in=acting_providers(user))
    q |= Q(community__division__in=coordinator_divisions(user))
    q |= Q(pk__in=managed_clinics(user).values("pk"))
    return Clinic.objects.filter(q).distinct()


def coordinator_runs(user):
    """Matching runs within the coordinator's divisions, and region-wide runs (which cover them)."""
    division_ids = list(coordinator_divisions(user).values_list("pk", flat=True))
    return MatchRun.objects.filter(Q(parameters__division__in=division_ids) | Q(parameters__division=None))


def coordinator_proposals(user):
    return Proposal.objects.filter(registration__division__in=coordinator_divisions(user))


def coordinator_offers(user):
    return Offer.objects.filter(registration__division__in=coordinator_divisions(user))


def clinic_offers(user):
    """Offers to the providers this user acts for; nothing else, whatever the URL asks."""
    return Offer.objects.filter(provider__in=acting_providers(user))


# --- checks -------------------------------------------------------------------------


def can_act_for(user, provider) -> bool:
    return acting_providers(user).filter(pk=provider.pk).exists()


def can_manage_clinic(user, clinic) -> bool:
    return managed_clinics(user).filter(pk=clinic.pk).exists()


def require_division(user, division_id):
    """Refuse (403) a division outside the coordinator's scope."""
    if not coordinator_divisions(user).filter(pk=division_id).exists():
        raise PermissionDenied


# --- one record in scope, or 404 ----------------------------------------------------


def _one(queryset, message: str):
    found = queryset.first()
    if found is None:
        raise Http404(message)
    return found


def provider_to_act_for(user, pk) -> Provider:
    return _one(acting_providers(user).filter(pk=pk), "No such provider in your scope.")


def provider_to_read(user, pk) -> Provider:
    return _one(readable_providers(user).filter(pk=pk), "No such provider in your scope.")


def panel_to_read(user, pk) -> Provider:
    """The provider whose panel the user may read, or 404."""
    return _one(panel_readable_providers(user).filter(pk=pk), "No such provider in your scope.")


def clinic_to_read(user, pk) -> Clinic:
    return _one(readable_clinics(user).filter(pk=pk), "No such clinic in your scope.")


def clinic_to_manage(user, pk) -> Clinic:
    return _one(managed_clinics(user).filter(pk=pk), "No such clinic in your scope.")


def registration_to_read(user, pk) -> Registration:
    return _one(
        Registration.objects.filter(division__in=coordinator_divisions(user), pk=pk)
        .select_related("community", "division", "entered_by"),
        "No such registration",
    )


def upload_to_act_for(user, pk) -> PanelUpload:
    return _one(
        PanelUpload.objects.filter(pk=pk, provider__in=acting_providers(user)).select_related("provider", "uploaded_by"),
        "No such upload in your scope.",
    )


def run_to_read(user, pk) -> MatchRun:
    return _one(coordinator_runs(user).filter(pk=pk), "No such matching run in your scope.")


def proposal_to_read(user, pk) -> Proposal:
    return _one(
        coordinator_proposals(user).filter(pk=pk).select_related("registration__community", "provider"),
        "No such proposal in your scope.",
    )


def coordinator_offer(user, pk) -> Offer:
    return _one(
        coordinator_offers(user).filter(pk=pk).select_related("registration__community", "provider", "clinic", "proposal"),
        "No such offer in your scope.",
    )


def clinic_offer(user, pk) -> Offer:
    return _one(
        clinic_offers(user).filter(pk=pk).select_related("registration", "provider", "clinic"),
        "No such offer in your scope.",
    )
