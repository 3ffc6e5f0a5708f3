"""Rate limits of the API (and the FHIR API): per caller, counted in the strict Redis cache."""

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from attachment.core.http import client_address


class ApiRateThrottle(SimpleRateThrottle):
    """settings.ATTACH_API_RATE requests per caller: a person or a system's service account,
    else the client's address (as attachment.core.http believes it, never a forged header)."""

    scope = "api"

    @property
    def cache(self):
        # The rate-limit cache refuses (503) with Redis down rather than forgetting counts.
        return caches["ratelimit"]

    def get_rate(self):
        return settings.ATTACH_API_RATE

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            # The account, not its id alone: an id given again to a new account starts afresh.
            ident = f"user:{request.user.pk}:{request.user.date_joined.timestamp()}"
        else:
            ident = f"addr:{client_address(request._request)}"
        return f"throttle:api:{ident}"
