"""A system's OAuth token is its service account, for DRF and for the audit trail.

django-oauth-toolkit leaves a client-credentials token without a user (no person took
part in the grant). Attach's clients each own their application through a service
account (api/clients.py), so the token stands for that account: `request.user` is it,
and the access module answers for it as for a person in the same role and scope.
Only a registered, unrevoked API client's token is taken: an OAuth application made by
hand in the admin, without an API client, calls nothing.
"""

from dataclasses import replace

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Value
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.exceptions import AuthenticationFailed

from api import tokencache
from api.models import ApiClient
from attachment.core import roles
from attachment.core.audit import Actor, client_via


def _bearer(request) -> str | None:
    # Only the Authorization header carries a token (RFC 9700; OAUTH2_PROVIDER's settings).
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class ClientCredentialsAuthentication(OAuth2Authentication):
    www_authenticate_realm = "attach"

    def authenticate(self, request):
        raw = _bearer(request)
        if raw is None:
            return None
        checksum = tokencache.checksum(raw)
        kept = tokencache.get(checksum)
        if kept is not None:
            user, token, role_names = kept
        else:
            resolved = self._resolve(request)
            if resolved is None:
                return None  # not a token of ours: a session may still authenticate the call
            user, token, role_names = resolved
            tokencache.keep(checksum, user, token, role_names)
        roles.know_roles(user, role_names)
        # ActorMiddleware ran before DRF knew who called: name the user and the client.
        base = getattr(request._request, "actor", None) or Actor.from_request(request._request)
        request._request.actor = replace(base, user=user, via=client_via(token))
        return user, token

    def _resolve(self, request):
        """DOT checks the token (unexpired, this server's); then the client, its account and
        the account's roles in one query."""
        found = super().authenticate(request)
        if found is None:
            return None
        _, token = found
        client = (ApiClient.objects.select_related("user").filter(application_id=token.application_id)
                  .annotate(role_names=ArrayAgg("user__groups__name", default=Value([]))).first())
        if client is None or client.revoked_at is not None or not client.user.is_active:
            raise AuthenticationFailed("This token is not an active API client's.")
        return client.user, token, client.role_names
