"""Roles (Django groups): who is what, where each lands, and the grants that give a scope.

What a scope lets a user see is answered in `attachment.core.access`.

A coordinator's scope is the divisions they hold `coordinate_division` on; a division
manager's, those they hold `view_division_reports` on; an MOA's, the providers who
delegated to them (`act_for_provider`, granted when a delegation becomes active and
removed the moment it ends); a clinic lead's, clinics with `manage_clinic`; a care
coordinator's, the PCNs they hold `coordinate_care_in_pcn` on.
"""

from functools import wraps

from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from guardian.shortcuts import assign_perm, remove_perm

COORDINATOR = "Attachment coordinator"
MOA = "Clinic MOA"
MANAGER = "Division manager"
CLINIC_LEAD = "Clinic lead"
PROVIDER = "Provider"
ADMINISTRATOR = "Administrator"
CARE_COORDINATOR = "Care coordinator"
ALL_ROLES = [COORDINATOR, MOA, MANAGER, CLINIC_LEAD, PROVIDER, ADMINISTRATOR, CARE_COORDINATOR]
# The roles that work on the clinic side (their scope: the providers they act for).
CLINIC_ROLES = (MOA, PROVIDER, CLINIC_LEAD)

# Where each role lands after login, most specific first.
WORKSPACES = [
    (ADMINISTRATOR, "admin:index"),
    (COORDINATOR, "patients:waitlist"),
    (CARE_COORDINATOR, "care:caseload"),
    (MANAGER, "reports:dashboard"),
    (MOA, "providers:workspace"),
    (PROVIDER, "providers:workspace"),
    (CLINIC_LEAD, "providers:workspace"),
]


def ensure_groups():
    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)


def add_role(user, role: str):
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)


def roles_of(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_attach_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached.add(ADMINISTRATOR)
        user._attach_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_staff_role(user) -> bool:
    return bool(roles_of(user)) or user.is_staff or user.is_superuser


def role_required(*roles: str):
    """View decorator: logged in (else login page) and holding one of `roles` (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def grant_division(user, division, *, coordinator=False, manager=False):
    if coordinator:
        add_role(user, COORDINATOR)
        assign_perm("registries.coordinate_division", user, division)
    if manager:
        add_role(user, MANAGER)
        assign_perm("registries.view_division_reports", user, division)


def grant_provider(user, provider):
    assign_perm("providers.act_for_provider", user, provider)


def revoke_provider(user, provider):
    remove_perm("providers.act_for_provider", user, provider)


def grant_pcn(user, pcn):
    """Make `user` a care coordinator of `pcn` (one of possibly several PCNs)."""
    add_role(user, CARE_COORDINATOR)
    assign_perm("registries.coordinate_care_in_pcn", user, pcn)


def revoke_pcn(user, pcn):
    remove_perm("registries.coordinate_care_in_pcn", user, pcn)
