from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from attachment.core.audit import Actor
from attachment.core.roles import is_staff_role

# Paths a staff member without MFA may still reach: to set it up, or to leave.
_MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/register/", "/status/", "/offer/", "/healthz")


class RequireStaffMFAMiddleware:
    """With ATTACH_REQUIRE_MFA on, staff must activate TOTP before seeing any record."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.ATTACH_REQUIRE_MFA
            and request.user.is_authenticated
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
            and is_staff_role(request.user)
            and not _has_totp(request.user)
        ):
            return redirect(reverse("mfa_activate_totp") + f"?next={request.path}")
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class ActorMiddleware:
    """Makes `request.actor` once per request: who (the user), from which address, with which browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = Actor.from_request(request)
        return self.get_response(request)


# Public pages that take or answer with a person's details.
_PUBLIC_PERSONAL_PREFIXES = ("/register/", "/status/", "/offer/", "/self/")  # /self/: the household's own page
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()" for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
        "microphone", "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "usb", "xr-spatial-tracking",
    )
)


class PrivacyHeadersMiddleware:
    """No browser or proxy keeps a page a signed-in person saw, or a public look-up's
    answer (a shared computer's back button would show it to the next person); and the
    pages may use no camera, microphone, location or the like."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith(_PUBLIC_PERSONAL_PREFIXES):
            add_never_cache_headers(response)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
