from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from attachment.core import roles


def home(request):
    """Public front page for visitors; each staff role is sent to its own workspace."""
    if request.user.is_authenticated:
        names = roles.roles_of(request.user)
        for role, url_name in roles.WORKSPACES:
            if role in names:
                return redirect(reverse(url_name))
        return render(request, "no_role.html", status=403)
    return render(request, "home.html")


def healthz(request):
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
