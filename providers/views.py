from django.shortcuts import render

from attachment import roles


@roles.role_required(roles.MOA, roles.PROVIDER, roles.CLINIC_LEAD)
def workspace(request):
    """The clinic workspace: the providers this person acts for."""
    providers = roles.delegated_providers(request.user).prefetch_related("clinics").order_by("last_name")
    return render(request, "providers/workspace.html", {"providers": providers})
