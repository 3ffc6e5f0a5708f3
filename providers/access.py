"""Who may see or act for which provider and clinic: the scope checks every clinic-side view uses."""

from django.db.models import Q
from django.http import Http404

from attachment import roles
from providers.models import Clinic, Provider


def acting_providers(user):
    """Providers the user acts for: themself, and those with an active delegation to them."""
    return roles.delegated_providers(user)


def providers_in_divisions(divisions):
    return Provider.objects.filter(
        Q(clinics__community__division__in=divisions) | Q(communities__division__in=divisions)
    ).distinct()


def readable_providers(user):
    """Acting providers, plus (read only) those a coordinator's divisions or a clinic lead's clinics cover."""
    ids = set(acting_providers(user).values_list("pk", flat=True))
    divisions = roles.coordinator_divisions(user)
    if divisions.exists():
        ids |= set(providers_in_divisions(divisions).values_list("pk", flat=True))
    clinics = roles.managed_clinics(user)
    if clinics.exists():
        ids |= set(Provider.objects.filter(clinics__in=clinics).values_list("pk", flat=True))
    return Provider.objects.filter(pk__in=ids)


def provider_to_act_for(user, pk) -> Provider:
    """The provider, if the user may act for them; otherwise 404 (their existence is not confirmed)."""
    provider = acting_providers(user).filter(pk=pk).first()
    if provider is None:
        raise Http404("No such provider in your scope.")
    return provider


def provider_to_read(user, pk) -> Provider:
    provider = readable_providers(user).filter(pk=pk).first()
    if provider is None:
        raise Http404("No such provider in your scope.")
    return provider


def can_act_for(user, provider) -> bool:
    return acting_providers(user).filter(pk=provider.pk).exists()


def readable_clinics(user):
    """Clinics a person may read: coordinators (their divisions), staff and leads (their clinics), providers (theirs)."""
    q = Q(memberships__user=user) | Q(providers__in=acting_providers(user))
    divisions = roles.coordinator_divisions(user)
    q |= Q(community__division__in=divisions)
    q |= Q(pk__in=roles.managed_clinics(user).values("pk"))
    return Clinic.objects.filter(q).distinct()


def clinic_to_read(user, pk) -> Clinic:
    clinic = readable_clinics(user).filter(pk=pk).first()
    if clinic is None:
        raise Http404("No such clinic in your scope.")
    return clinic


def clinic_to_manage(user, pk) -> Clinic:
    clinic = roles.managed_clinics(user).filter(pk=pk).first()
    if clinic is None:
        raise Http404("No such clinic in your scope.")
    return clinic
