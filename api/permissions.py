"""Who may use an API view: the same roles as the page it mirrors (attachment.core.roles)."""

from rest_framework.permissions import BasePermission

from attachment.core import roles


def role(*names: str) -> type[BasePermission]:
    """A DRF permission: signed in (a person, or a system's service account) in one of `names`."""

    class HasRole(BasePermission):
        message = "Your role does not use this part of the API."

        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and roles.has_role(request.user, *names))

    HasRole.__name__ = f"HasRole({', '.join(names)})"
    return HasRole
