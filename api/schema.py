"""How the OpenAPI schema describes the API's authentication: OAuth 2 client credentials."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ClientCredentialsScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ClientCredentialsAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "A system's token from the client-credentials grant (POST /o/token/).",
            "flows": {"clientCredentials": {"tokenUrl": "/o/token/", "scopes": {"api": "The Attach APIs"}}},
        }
