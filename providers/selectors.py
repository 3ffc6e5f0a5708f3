"""Reads the clinic-side pages share."""


from providers.models import CapacityDeclaration, ClinicMembership, Delegation, Provider


def capacity_history(provider: Provider, limit: int = 50):
    return provider.capacity_declarations.select_related("declared_by").order_by("-declared_at", "-id")[:limit]


def providers_with_clinics(qs):
    return qs.prefetch_related("clinics", "communities").order_by("last_name", "first_name")


def delegations_of(provider: Provider):
    return provider.delegations.select_related("delegate", "endorsed_by", "ended_by").order_by("-endorsed_at")


def pending_endorsements(user):
    return Delegation.objects.filter(delegate=user, status=Delegation.Status.ENDORSED).select_related("provider")


def requests_to_confirm(user):
    """Staff members' requests waiting for this provider's confirmation."""
    return Delegation.objects.filter(provider__user=user, status=Delegation.Status.REQUESTED).select_related(
        "provider", "delegate").order_by("endorsed_at")


def my_delegations(user):
    return Delegation.objects.filter(delegate=user).exclude(status=Delegation.Status.ENDED).select_related("provider")


def clinic_detail(clinic):
    providers = Provider.objects.filter(clinics=clinic).order_by("last_name", "first_name")
    staff = ClinicMembership.objects.filter(clinic=clinic).select_related("user").order_by("role", "user__last_name")
    return providers, staff


def latest_declarations(providers):
    """The declaration in force for each provider, one query."""
    ids = [p.pk for p in providers]
    latest = {}
    for d in CapacityDeclaration.objects.filter(provider_id__in=ids).order_by("provider_id", "-declared_at", "-id").distinct("provider_id"):
        latest[d.provider_id] = d
    return latest


