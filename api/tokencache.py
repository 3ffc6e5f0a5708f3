"""A system's token resolved once, then kept in Redis for a few seconds: one round trip a call.

Every API call of a system must turn its bearer token into the client's service account,
its roles and the client's name (two queries: DOT's token look-up, then api/auth.py's
client). What they resolve to changes only when the token ends, the client is revoked or
given a new secret, or the account is changed; so the resolution is kept in the strict
Redis cache (`ratelimit`, shared by every worker), keyed by the token's SHA-256 (what DOT
stores: the token itself is in neither place), for ATTACH_API_TOKEN_CACHE_SECONDS and
never past the token's expiry.

Revocation takes effect at once: deleting a token (revoke, new secret, DOT's revoke
endpoint, cleartokens) and saving a client or its account put a tombstone in the key,
and a resolution is only ever stored with `add` (never over a tombstone), so a request
that read the database just before the revocation cannot store what it read after it.
While Redis is down calls resolve from the database, and a revocation refuses (its
transaction rolls back) rather than leave a resolution alive in Redis.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from attachment.core.unavailable import REDIS_DOWN

logger = logging.getLogger(__name__)
REVOKED = "revoked"


def checksum(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def _key(token_checksum: str) -> str:
    return f"api:token:{token_checksum}"


def _cache():
    return caches["ratelimit"]


def get(token_checksum: str):
    """(user, token, role names) as resolved earlier, or None (not kept, revoked, Redis down)."""
    try:
        found = _cache().get(_key(token_checksum))
    except REDIS_DOWN:
        return None
    if not isinstance(found, tuple):
        return None
    user, token, role_names = found
    if token.expires <= timezone.now():
        return None
    return found


def keep(token_checksum: str, user, token, role_names) -> None:
    seconds = min(settings.ATTACH_API_TOKEN_CACHE_SECONDS, int((token.expires - timezone.now()).total_seconds()))
    if seconds <= 0:
        return
    try:
        _cache().add(_key(token_checksum), (user, token, list(role_names)), timeout=seconds)
    except REDIS_DOWN:
        pass


def forget(checksums) -> None:
    """Tombstone these tokens' resolutions (a revocation): the next calls ask the database."""
    keys = {_key(c): REVOKED for c in checksums if c}
    if keys:
        # Raises with Redis down: a revocation must not succeed while a resolution may live on.
        _cache().set_many(keys, timeout=settings.ATTACH_API_TOKEN_CACHE_SECONDS + 5)


def forget_application(application_id) -> None:
    from oauth2_provider.models import AccessToken

    forget(AccessToken.objects.filter(application_id=application_id).values_list("token_checksum", flat=True))


def forget_user(user_id) -> None:
    from api.models import ApiClient

    for application_id in ApiClient.objects.filter(user_id=user_id).values_list("application_id", flat=True):
        forget_application(application_id)
