"""The protected resource: GET /api/me."""

from django.conf import settings
from django.http import JsonResponse
from oauth2_provider.views.generic import ScopedProtectedResourceMetadataView


class MeView(ScopedProtectedResourceMetadataView):
    """Answers 200 {"user", "scope"} for a valid bearer token with scope ``read``.

    A missing/invalid/expired token gets 401 with ``WWW-Authenticate: Bearer ...``
    (DOT's RFC 9728 variant of ProtectedResourceView); a valid token without ``read``
    gets 403 insufficient_scope (RFC 6750 section 3.1).

    Where the token may come from is DOT's business: with
    COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT=True (hardened) a request carrying
    ``access_token`` in the query string is refused before the token is looked at; with
    it False (permissive) oauthlib also reads the query parameter.
    """

    required_scopes = ["read"]
    # RFC 9728 path-component form: the root-mounted metadata view derives the resource
    # identifier from the path, so this document names https://127.0.0.1:PORT/api/me.
    resource_metadata_url = f"{settings.ORIGIN}/.well-known/oauth-protected-resource/api/me"
    http_method_names = ["get", "head", "options"]

    def dispatch(self, request, *args, **kwargs):
        if request.method.upper() == "OPTIONS":
            return self.options(request, *args, **kwargs)
        valid, oauth_request = self.verify_request(request)
        if not valid:
            return self.unauthenticated_response(request, oauth_request)
        request.resource_owner = oauth_request.user
        request.oauth_scopes = list(oauth_request.scopes or [])
        handler = getattr(self, request.method.lower(), self.http_method_not_allowed)
        return handler(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        user = request.resource_owner
        response = JsonResponse(
            {
                "user": user.get_username() if user is not None else None,
                "scope": " ".join(request.oauth_scopes),
            }
        )
        response["Cache-Control"] = "no-store"
        return response
