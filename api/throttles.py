"""Rate limits of the API (and the FHIR API): per caller, counted in the strict Redis cache.

One Redis round trip a call: a counter per caller and window (started by the caller's first
call, SET NX with the window's expiry), incremented and read with its time left in one
pipeline. DRF's own SimpleRateThrottle keeps every call's timestamp in a list it reads,
trims and writes back (two round trips, and a list as long as the rate allows)."""

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

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        cache = self.cache
        key = cache.make_and_validate_key(self.key)
        pipe = cache._cache.get_client(key, write=True).pipeline(transaction=True)
        pipe.set(key, 0, ex=int(self.duration), nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
        self._seconds_left = ttl if ttl and ttl > 0 else self.duration
        return count <= self.num_requests

    def wait(self):
        return self._seconds_left

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            # The account, not its id alone: an id given again to a new account starts afresh.
            ident = f"user:{request.user.pk}:{request.user.date_joined.timestamp()}"
        else:
            ident = f"addr:{client_address(request._request)}"
        return f"throttle:api:{ident}"
