from django.shortcuts import render

from attachment import roles


@roles.role_required(roles.MANAGER, roles.COORDINATOR)
def dashboard(request):
    """The managers' workspace: aggregates of their divisions, never a person's record."""
    divisions = roles.manager_divisions(request.user)
    return render(request, "reports/dashboard.html", {"divisions": divisions})
