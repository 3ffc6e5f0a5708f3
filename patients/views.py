from django.core.paginator import Paginator
from django.shortcuts import render

from attachment import roles
from patients.models import Registration


@roles.role_required(roles.COORDINATOR)
def waitlist(request):
    """The coordinator's workspace: the waitlist of their divisions."""
    divisions = roles.coordinator_divisions(request.user)
    registrations = (
        Registration.objects.filter(division__in=divisions, status__in=Registration.OPEN_STATUSES)
        .select_related("community")
        .order_by("-effective_priority", "registered_at")
    )
    page = Paginator(registrations, 50).get_page(request.GET.get("page"))
    return render(request, "patients/waitlist.html", {"page": page, "divisions": divisions})
