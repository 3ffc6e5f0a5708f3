"""Roles (Django groups): who is what, where each lands, and the grants that give a scope.

What a scope lets a user see is answered in `attachment.core.access`.

A coordinator's scope is the divisions they hold `coordinate_division` on; a division
manager's, those they hold `view_division_reports` on; an MOA's, the providers who
delegated to them (`act_for_provider`, granted when a delegation becomes active and
removed the moment it ends); a clinic lead's, clinics with `manage_clinic`; a care
coordinator's, the PCNs they hold `coordinate_care_in_pcn` on.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from attachment.core import audit
from attachment.core.models import AuditEvent

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


def know_roles(user, group_names) -> None:
    """Tell roles_of the user's group names a query already fetched (the API's token
    look-up does), so it need not ask again in this request."""
    known = {name for name in group_names if name}
    if user.is_superuser:
        known.add(ADMINISTRATOR)
    user._attach_roles = known


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


def revoke_division(user, division, *, coordinator=False, manager=False):
    if coordinator:
        remove_perm("registries.coordinate_division", user, division)
    if manager:
        remove_perm("registries.view_division_reports", user, division)


def grant_clinic(user, clinic):
    add_role(user, CLINIC_LEAD)
    assign_perm("providers.manage_clinic", user, clinic)


def revoke_clinic(user, clinic):
    remove_perm("providers.manage_clinic", user, clinic)


@dataclass(frozen=True)
class Scope:
    """A scope an administrator assigns directly: the object permission, on what, and the role it needs."""

    label: str
    perm: str
    model: str
    role: str
    grant: Callable
    revoke: Callable


# Acting for a provider is not here: it comes only from a delegation (`providers.services`).
ASSIGNABLE_SCOPES = {
    "coordinates": Scope(
        "coordinates", "registries.coordinate_division", "registries.Division", COORDINATOR,
        lambda user, division: grant_division(user, division, coordinator=True),
        lambda user, division: revoke_division(user, division, coordinator=True),
    ),
    "reads_reports": Scope(
        "reads reports of", "registries.view_division_reports", "registries.Division", MANAGER,
        lambda user, division: grant_division(user, division, manager=True),
        lambda user, division: revoke_division(user, division, manager=True),
    ),
    "manages_clinics": Scope("manages", "providers.manage_clinic", "providers.Clinic", CLINIC_LEAD,
                             grant_clinic, revoke_clinic),
    "coordinates_care": Scope("coordinates care in", "registries.coordinate_care_in_pcn", "registries.PCN",
                              CARE_COORDINATOR, grant_pcn, revoke_pcn),
}


def scope_objects(user, name: str):
    """The objects the user itself holds scope `name` on (not through a group, not as superuser)."""
    scope = ASSIGNABLE_SCOPES[name]
    return get_objects_for_user(user, scope.perm, klass=apps.get_model(scope.model), use_groups=False,
                                with_superuser=False, accept_global_perms=False)


def set_scopes(user, wanted: dict, *, actor) -> dict:
    """Make the user's assignable scopes exactly `wanted` ({scope name: objects}).

    Each scope that changes is audited once, naming what was granted and what removed.
    Returns {name: {"granted": [...], "removed": [...]}} for the scopes that changed.
    Call inside a transaction (the admin's change view is one), so nothing is half-applied.
    """
    changed = {}
    for name, objects in wanted.items():
        scope = ASSIGNABLE_SCOPES[name]
        held = {obj.pk: obj for obj in scope_objects(user, name)}
        want = {obj.pk: obj for obj in objects}
        granted = sorted((want[pk] for pk in want.keys() - held.keys()), key=str)
        removed = sorted((held[pk] for pk in held.keys() - want.keys()), key=str)
        if not granted and not removed:
            continue
        for obj in granted:
            scope.grant(user, obj)
        for obj in removed:
            scope.revoke(user, obj)
        changed[name] = {"granted": [str(o) for o in granted], "removed": [str(o) for o in removed]}
        words = [f"{verb} {', '.join(names)}" for verb, names in
                 (("granted", changed[name]["granted"]), ("removed", changed[name]["removed"])) if names]
        audit.record(
            action=AuditEvent.Action.UPDATE, obj=user, actor=actor,
            summary=f"Scope of {user.get_username()} ({scope.label}): {'; '.join(words)}",
            changes={scope.perm: {"granted": [[o.pk, str(o)] for o in granted],
                                  "removed": [[o.pk, str(o)] for o in removed]}},
        )
    return changed
