"""A system's OAuth token is its service account, for DRF and for the audit trail.

django-oauth-toolkit leaves a client-credentials token without a user (no person took
part in the grant). Attach's clients each own their application through a service
account (api/clients.py), so the token stands for that account: `request.user` is it,
and the access module answers for it as for a person in the same role and scope.
"""

from dataclasses import replace

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.exceptions import AuthenticationFailed

from attachment.core.audit import Actor, client_via


class ClientCredentialsAuthentication(OAuth2Authentication):
    www_authenticate_realm = "attach"

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user, token = found
        if user is None:  # client credentials: the application's owner is the client's account
            user = token.application.user
        if user is None or not user.is_active:
            raise AuthenticationFailed("This API client has been revoked.")
        # ActorMiddleware ran before DRF knew who called: name the user and the client.
        base = getattr(request._request, "actor", None) or Actor.from_request(request._request)
        request._request.actor = replace(base, user=user, via=client_via(token))
        return user, token
