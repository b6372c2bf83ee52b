"""OAUTH2_VALIDATOR_CLASS for the hardened mode: no refresh tokens for public clients.

DOT has no setting for this; the validator is its documented extension point.
"""

from oauth2_provider.models import AbstractApplication
from oauth2_provider.oauth2_validators import OAuth2Validator


def _is_public(request):
    client = getattr(request, "client", None)
    return client is not None and client.client_type == AbstractApplication.CLIENT_PUBLIC


class NoPublicRefreshValidator(OAuth2Validator):
    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        # A refresh_token grant from a public client is refused (unauthorized_client),
        # whatever token it presents.
        if grant_type == "refresh_token" and _is_public(request):
            return False
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def save_bearer_token(self, token, request, *args, **kwargs):
        # oauthlib puts a refresh_token into every authorization_code token response;
        # the dict saved here is the one serialised to the client, so dropping the key
        # both keeps it out of the response and stops DOT from storing one.
        if _is_public(request):
            token.pop("refresh_token", None)
        return super().save_bearer_token(token, request, *args, **kwargs)
