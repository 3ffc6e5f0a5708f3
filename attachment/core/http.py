"""HTTP helpers every app shares: who the client is, and absolute links for emails."""

import ipaddress
from functools import lru_cache
from urllib.parse import urljoin

from django.conf import settings


@lru_cache(maxsize=8)
def _trusted_networks(spec: tuple[str, ...]):
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def _is_trusted(address: str) -> bool:
    return _is_trusted_by(address, tuple(settings.ATTACH_TRUSTED_PROXIES))


@lru_cache(maxsize=4096)
def _is_trusted_by(address: str, spec: tuple[str, ...]) -> bool:
    # Cached: asked on every request that names its actor, of a few peers (the proxies).
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted_networks(spec))


def client_address(request) -> str | None:
    """The client's IP address: the peer, unless the peer is a configured trusted proxy.

    Behind a trusted proxy (ATTACH_TRUSTED_PROXIES) the client is the right-most
    X-Forwarded-For entry that is not itself a trusted proxy: entries left of it are
    whatever the client chose to send, so they are never believed.
    """
    peer = request.META.get("REMOTE_ADDR") or None
    if peer is None or not _is_trusted(peer):
        return peer
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


def absolute_url(path: str) -> str:
    """`path` on the public site (ATTACH_PUBLIC_URL), for links that leave the site: emails, letters."""
    return urljoin(settings.ATTACH_PUBLIC_URL.rstrip("/") + "/", path.lstrip("/"))
