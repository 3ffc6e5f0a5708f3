"""Roles (Django groups) and their scopes (django-guardian object permissions).

A coordinator's scope is the divisions they hold `coordinate_division` on; a division
manager's, those they hold `view_division_reports` on; an MOA's, the providers who
delegated to them (`act_for_provider`, granted when a delegation becomes active and
removed the moment it ends); a clinic lead's, clinics with `manage_clinic`.
"""

from functools import wraps

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

COORDINATOR = "Attachment coordinator"
MOA = "Clinic MOA"
MANAGER = "Division manager"
CLINIC_LEAD = "Clinic lead"
PROVIDER = "Provider"
ADMINISTRATOR = "Administrator"
ALL_ROLES = [COORDINATOR, MOA, MANAGER, CLINIC_LEAD, PROVIDER, ADMINISTRATOR]

# Where each role lands after login, most specific first.
WORKSPACES = [
    (ADMINISTRATOR, "admin:index"),
    (COORDINATOR, "patients:waitlist"),
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
            from django.contrib.auth.views import redirect_to_login

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# --- scopes -----------------------------------------------------------------

def coordinator_divisions(user):
    from registries.models import Division

    if not has_role(user, COORDINATOR):
        return Division.objects.none()
    return get_objects_for_user(user, "registries.coordinate_division", klass=Division, accept_global_perms=False)


def manager_divisions(user):
    from registries.models import Division

    if not has_role(user, MANAGER, COORDINATOR):
        return Division.objects.none()
    return get_objects_for_user(
        user,
        ["registries.view_division_reports", "registries.coordinate_division"],
        klass=Division,
        any_perm=True,
        accept_global_perms=False,
    )


def delegated_providers(user):
    """Providers this user may act for: themself (a provider) and those who delegated to them."""
    from providers.models import Provider

    if not user.is_authenticated:
        return Provider.objects.none()
    delegated = get_objects_for_user(user, "providers.act_for_provider", klass=Provider, accept_global_perms=False)
    own = Provider.objects.filter(user=user)
    return Provider.objects.filter(pk__in=delegated.values("pk")) | own


def managed_clinics(user):
    from providers.models import Clinic

    return get_objects_for_user(user, "providers.manage_clinic", klass=Clinic, accept_global_perms=False)


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


def require_division(user, division_id):
    """Refuse (403) a division outside the coordinator's scope."""
    if not coordinator_divisions(user).filter(pk=division_id).exists():
        raise PermissionDenied
