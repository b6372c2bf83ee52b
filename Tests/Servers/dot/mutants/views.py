"""DOT's views as every issuer serves them: the clean issuer's additions, and the view-level mutations.

Clean additions: iss (RFC 9207) on error redirects too (with DOT's own helper for success
redirects), grant_types_supported in the OpenID discovery document (without it RFC 8414 §2 implies
implicit), Cache-Control: no-store on every answer of the resource, a second API (/api/other) with
a scope of its own, and URLs built under the issuer's path prefix.
"""

import json
from types import SimpleNamespace
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.http import QueryDict
from django.urls import reverse
from oauth2_provider import views as dot_views
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.oauth2_backends import _add_iss_to_redirect
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import add_params_to_uri, generate_token
from oauthlib.oauth2.rfc6749.errors import InvalidClientIdError

from dotserver.views import MeView as HardenedMeView

from .models import JwtAccessToken
from .registry import Break, current, on
from .tokens import read_access_token


class AuthorizationView(dot_views.AuthorizationView):
    def get_login_url(self):
        return current().django_setting("LOGIN_URL")

    def get_initial(self):
        initial = super().get_initial()
        if on(Break.STATE_LOST_AT_CONSENT):
            initial["state"] = None  # the consent form's hidden state input is left out
        return initial

    def error_response(self, error, application, **kwargs):
        redirect_uri = self.request.GET.get("redirect_uri")
        if on(Break.UNKNOWN_CLIENT_REDIRECT) and isinstance(error.oauthlib_error, InvalidClientIdError) and redirect_uri:
            # The error goes to whatever redirect_uri came with the unknown client_id.
            response = self.redirect(add_params_to_uri(redirect_uri, error.oauthlib_error.twotuples), None)
        else:
            response = super().error_response(error, application, **kwargs)
        # DOT adds iss to successful authorization responses only (RFC 9207 §2 asks it on errors too).
        if (
            isinstance(response, OAuth2ResponseRedirect)
            and oauth2_settings.COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS
            and not on(Break.NO_ISS_ON_ERRORS)
        ):
            issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
            response["Location"] = _add_iss_to_redirect(response["Location"], issuer)
        return response


class LoginView(auth_views.LoginView):
    def form_valid(self, form):
        response = super().form_valid(form)
        if on(Break.LOGIN_ANSWERS_307):
            # A redirect helper that keeps the method (307, Starlette's RedirectResponse default):
            # the browser posts the credentials on to the Location.
            response.status_code = 307
        return response


class TokenView(dot_views.TokenView):
    def post(self, request, *args, **kwargs):
        if on(Break.SECRET_IN_QUERY) and request.GET:
            # A compatibility shim for clients that put their credentials in the URL: the query
            # joins the form body before DOT (and oauthlib, which refuses a query) sees it.
            body = request.POST.copy()
            for name, values in request.GET.lists():
                body.setlistdefault(name, values)
            request.POST = body
            request.GET = QueryDict()
            request.META["QUERY_STRING"] = ""
        response = super().post(request, *args, **kwargs)
        if response.status_code >= 400 and on(Break.REFUSAL_200_EMPTY):
            response.status_code = 200
            response.content = b"{}"
        elif response.status_code >= 400 and on(Break.REFUSAL_WITH_TOKEN):
            # An error body built from a token-response template: the field is filled in anyway
            # (with a value that is no token anywhere).
            body = json.loads(response.content)
            body.update(access_token=generate_token(), token_type="Bearer")
            response.content = json.dumps(body).encode()
        return response


class IntrospectTokenView(dot_views.IntrospectTokenView):
    def authenticate_client(self, request):
        # INTROSPECTION_OPEN: mounted like an internal API, every caller counts as a client.
        return on(Break.INTROSPECTION_OPEN) or super().authenticate_client(request)


class _IssuerEndpoints:
    """The metadata documents' endpoint URLs, with the issuer's token endpoint origin if it has one."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if on(Break.METADATA_ISSUER_HTTP):
            # The issuer typed in by hand when the server still ran on plain http.
            document = json.loads(response.content)
            document["issuer"] = current().issuer.replace("https://", "http://", 1)
            response.content = json.dumps(document).encode()
        return response

    def _get_endpoint_url(self, request, view_name, required=False):
        url = super()._get_endpoint_url(request, view_name, required)
        origin = current().token_endpoint_origin
        if view_name == "token" and url and origin:
            return origin + urlsplit(url).path
        return url


def advertised_grant_types():
    """DOT's RFC 8414 grant_types_supported: the setting without what the RFC 9700 gates refuse."""
    refused = set()
    if oauth2_settings.COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT:
        refused.add("implicit")
    if oauth2_settings.COMPLIANT_BCP_RFC9700_PASSWORD_GRANT:
        refused.add("password")
    return [grant_type for grant_type in oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED if grant_type not in refused]


class ConnectDiscoveryInfoView(_IssuerEndpoints, dot_views.ConnectDiscoveryInfoView):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        document = json.loads(response.content)
        document["grant_types_supported"] = advertised_grant_types()
        response.content = json.dumps(document).encode()
        return response


class OAuthServerMetadataView(_IssuerEndpoints, dot_views.OAuthServerMetadataView):
    pass


# How the resources of the RESOURCE_JWT_* mutations read a JWT themselves: whether they verify
# its signature, take alg none, and look its jti up (so that revocation reaches them).
_LOCAL_CHECKS = {
    Break.RESOURCE_JWT_UNVERIFIED: {"verify_signature": False, "accept_alg_none": True, "look_up": True},
    Break.RESOURCE_JWT_ALG_NONE: {"verify_signature": True, "accept_alg_none": True, "look_up": True},
    Break.RESOURCE_JWT_LOCAL: {"verify_signature": True, "accept_alg_none": False, "look_up": False},
}


class MeView(HardenedMeView):
    """The hardened resource (DOT looks the token up), under the issuer's prefix, always no-store."""

    resource_path = "api/me"
    # The break under which the resource takes any valid token of the issuer, whatever its scope.
    any_scope = Break.RESOURCE_ANY_SCOPE

    def get_scopes(self, *args, **kwargs):
        return [] if on(self.any_scope) else super().get_scopes(*args, **kwargs)

    def get_resource_metadata_url(self, request):
        path = reverse("dot_root_metadata:oauth-resource-metadata-path", kwargs={"resource_path": self.resource_path})
        return request.build_absolute_uri(path)

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def verify_request(self, request):
        for broken, checks in _LOCAL_CHECKS.items():
            if on(broken):
                return self._verify_locally(request, **checks)
        return super().verify_request(request)

    def _verify_locally(self, request, verify_signature, accept_alg_none, look_up):
        """What DOT's verify_request returns: (valid, a request-like outcome with user, scopes and
        oauth2_error), decided from the JWT in the Authorization header alone."""
        outcome = SimpleNamespace(user=None, scopes=[], oauth2_error={"error": "invalid_token"})
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        claims = None
        if scheme.lower() == "bearer" and token:
            claims = read_access_token(token, verify_signature=verify_signature, accept_alg_none=accept_alg_none)
        if claims and look_up and not JwtAccessToken.objects.filter(jti=str(claims.get("jti"))).exists():
            claims = None
        if claims is None:
            return False, outcome
        outcome.scopes = str(claims.get("scope", "")).split()
        subject = str(claims.get("sub", ""))
        outcome.user = get_user_model().objects.filter(pk=int(subject)).first() if subject.isdigit() else None
        if not set(self.get_scopes()) <= set(outcome.scopes):
            outcome.oauth2_error = {"error": "insufficient_scope"}
            return False, outcome
        outcome.oauth2_error = None
        return True, outcome


class OtherView(MeView):
    """A second API of the issuer, /api/other: it asks scope other where /api/me asks read, so a
    token for one is refused by the other (token.audience-restricted)."""

    required_scopes = ["other"]
    resource_path = "api/other"
    any_scope = Break.RESOURCE_B_ANY_SCOPE
