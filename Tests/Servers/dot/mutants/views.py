"""DOT's views as every issuer serves them: the clean issuer's additions, and the view-level mutations.

Clean additions: iss (RFC 9207) on error redirects too (with DOT's own helper for success
redirects), grant_types_supported in the OpenID discovery document (without it RFC 8414 §2 implies
implicit), Cache-Control: no-store on every answer of the resource, a second API (/api/other) with
a scope of its own, and URLs built under the issuer's path prefix.
"""

import json
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.contrib.auth import get_user_model, logout
from django.contrib.auth import views as auth_views
from django.http import JsonResponse, QueryDict
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as dot_views
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.oauth2_backends import _add_iss_to_redirect, get_oauthlib_core
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import add_params_to_uri, generate_token
from oauthlib.oauth2.rfc6749.errors import (
    InvalidClientIdError,
    InvalidRedirectURIError,
    MismatchingRedirectURIError,
    MissingRedirectURIError,
    OAuth2Error,
)

from dotserver.views import MeView as HardenedMeView

from . import quirks
from .models import JwtAccessToken
from .registry import Break, Quirk, current, on, on_quirk
from .tokens import read_access_token, unverified_parts


_BAD_REDIRECT_URI = (InvalidRedirectURIError, MismatchingRedirectURIError, MissingRedirectURIError)


class AuthorizationView(dot_views.AuthorizationView):
    def dispatch(self, request, *args, **kwargs):
        if (
            on_quirk(Quirk.SESSION_FORGOTTEN_401)
            and request.method == "GET"
            and quirks.count("authorization-request") == quirks.SESSION_FORGOTTEN_AT
        ):
            # The session store lost this browser's session (a restart of an in-memory store): the
            # user is signed out, and the sign-in page this request leads to answers 401.
            logout(request)
            request.session[quirks.SESSION_FORGOTTEN_FLAG] = True
        return super().dispatch(request, *args, **kwargs)

    def get_login_url(self):
        return current().django_setting("LOGIN_URL")

    def render_to_response(self, context, **response_kwargs):
        # CONSENT_REMEMBERED: the consent page of a request whose user granted this client this
        # scope set before is skipped (prompt=consent asks it again); DOT's own consent path runs
        # with the form it would have shown, allowed.
        if (
            on_quirk(Quirk.CONSENT_REMEMBERED)
            and self.request.method == "GET"
            and context.get("form") is not None
            and "error" not in context
            and "consent" not in self.request.GET.get("prompt", "").split()
            and quirks.remembered(*self._consent(self.oauth2_data["client_id"], self.oauth2_data["scopes"]))
        ):
            initial = {name: value for name, value in self.get_initial().items() if value is not None}
            form = self.get_form_class()(data={**initial, "allow": "on"})
            if form.is_valid():
                return self.form_valid(form)
        return super().render_to_response(context, **response_kwargs)

    def _consent(self, client_id, scopes):
        if isinstance(scopes, str):
            scopes = scopes.split()
        return ("consent", self.request.user.pk, client_id, " ".join(sorted(set(scopes))))

    def form_valid(self, form):
        response = super().form_valid(form)
        if not (form.cleaned_data.get("allow") and isinstance(response, OAuth2ResponseRedirect)):
            return response
        if on_quirk(Quirk.CONSENT_REMEMBERED):
            quirks.remember(*self._consent(form.cleaned_data["client_id"], form.cleaned_data["scope"]))
        if on_quirk(Quirk.REFRESH_NEEDS_OFFLINE_ACCESS) and "consent" in self.request.GET.get("prompt", "").split():
            # OIDC Core §11: offline_access counts only with prompt=consent; the code remembers it
            # (validator.save_bearer_token issues a refresh token for such a code only).
            parts = urlsplit(response["Location"])
            code = dict(parse_qsl(parts.query)).get("code") or dict(parse_qsl(parts.fragment)).get("code")
            if code:
                quirks.remember("offline-access", quirks.checksum(code))
        return response

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
            if not isinstance(response, OAuth2ResponseRedirect):
                response = self._error_page(error.oauthlib_error, response)
        # DOT adds iss to successful authorization responses only (RFC 9207 §2 asks it on errors too).
        if (
            isinstance(response, OAuth2ResponseRedirect)
            and oauth2_settings.COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS
            and not on(Break.NO_ISS_ON_ERRORS)
        ):
            issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
            response["Location"] = _add_iss_to_redirect(response["Location"], issuer)
        return response


    def _error_page(self, oauthlib_error, page):
        """What the browser gets for an error DOT does not redirect to the client (an unregistered or
        missing redirect_uri, an unknown, disabled or missing client_id): DOT's 400 page, or a
        quirk's answer."""
        error, description = oauthlib_error.error, oauthlib_error.description or ""
        sent = self.request.GET.get("redirect_uri")
        link = None
        if on(Break.ERROR_PAGE_LINKS_BACK) and sent and isinstance(oauthlib_error, _BAD_REDIRECT_URI):
            link = quirks.links_back(sent)
        if on_quirk(Quirk.ERROR_PAGE_REDIRECT):
            return quirks.error_page_redirect(self.request, error, description, link)
        if on_quirk(Quirk.ERROR_PAGE_OTHER_ORIGIN):
            return quirks.error_page_other_origin(error, description)
        if on(Break.ERROR_PAGE_LINKS_BACK):
            return quirks.html_page("Error", quirks.error_page_body(error, description, link))
        if on_quirk(Quirk.ERROR_PAGE_200):
            page.status_code = 200  # DOT's error page, as a success
        return page


class LoginView(auth_views.LoginView):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if request.session.pop(quirks.SESSION_FORGOTTEN_FLAG, False):
            response.status_code = 401  # SESSION_FORGOTTEN_401: this one sign-in page
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        if on(Break.LOGIN_ANSWERS_307):
            # A redirect helper that keeps the method (307), after a sign-in view that finishes the
            # pending authorization request itself: the browser posts the credentials on to the
            # client's redirect URI.
            response["Location"] = self._finish_pending(response["Location"])
            response.status_code = 307
        elif on_quirk(Quirk.LOGIN_307_SAME_ORIGIN):
            # A 307 too, but to a page of this server, which drops what is re-posted.
            response["Location"] = f"{reverse('quirk-login-done')}?{urlencode({'next': response['Location']})}"
            response.status_code = 307
        if on_quirk(Quirk.SCRIPT_SESSION_COOKIE):
            # For the OIDC session-management iframe: scripts read it; it signs nobody in or out.
            response.set_cookie(
                quirks.SESSION_STATE_COOKIE,
                quirks.checksum(self.request.session.session_key or "")[:32],
                secure=True,
                httponly=False,
                samesite="None",
            )
        return response

    def _finish_pending(self, next_url):
        """The authorization response for next (the authorization request that sent the browser to
        sign in), created as DOT creates it when the consent form is allowed; next itself when it is
        no valid authorization request."""
        uri = self.request.build_absolute_uri(next_url)
        if urlsplit(uri).path != reverse("oauth2_provider:authorize"):
            return next_url
        server = get_oauthlib_core().server
        try:
            scopes, _credentials = server.validate_authorization_request(uri, http_method="GET")
            headers, _body, _status = server.create_authorization_response(
                uri, http_method="GET", scopes=scopes, credentials={"user": self.request.user}
            )
        except OAuth2Error:
            return next_url
        location = headers.get("Location") or next_url
        if oauth2_settings.COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS and location != next_url:
            location = _add_iss_to_redirect(location, oauth2_settings.oauth2_authorization_server_issuer(self.request))
        return location


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
        elif response.status_code == 200 and on_quirk(Quirk.JSON_NULLS):
            _spell_out_nulls(response, ("refresh_token", "id_token", "scope"), when="access_token")
        return response


def _spell_out_nulls(response, members, when):
    """JSON_NULLS: a serializer that writes every member of its class, null where nothing was set."""
    body = json.loads(response.content)
    if isinstance(body, dict) and when in body:
        for member in members:
            body.setdefault(member, None)
        response.content = json.dumps(body).encode()


# RFC 7662 §2.2
_INTROSPECTION_MEMBERS = ("scope", "client_id", "username", "token_type", "exp", "iat", "nbf", "sub", "aud", "iss", "jti")


class IntrospectTokenView(dot_views.IntrospectTokenView):
    def authenticate_client(self, request):
        # INTROSPECTION_OPEN: mounted like an internal API, every caller counts as a client.
        return on(Break.INTROSPECTION_OPEN) or super().authenticate_client(request)

    @method_decorator(csrf_exempt)  # as DOT's own dispatch
    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 200 and on_quirk(Quirk.JSON_NULLS):
            _spell_out_nulls(response, _INTROSPECTION_MEMBERS, when="active")
        return response


class JwksInfoView(dot_views.JwksInfoView):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if on_quirk(Quirk.JWKS_NO_KID):
            # One key, no kid (RFC 7517 §4.5 makes it optional); ID tokens name none either.
            document = json.loads(response.content)
            for key in document["keys"]:
                key.pop("kid", None)
            response.content = json.dumps(document).encode()
        return response


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
        if on(Break.RESOURCE_OPEN) and self.resource_path == "api/me" and "HTTP_AUTHORIZATION" not in request.META:
            # The API's anonymous view: nobody is signed in, and it says so.
            response = JsonResponse({"user": None})
        else:
            response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def verify_request(self, request):
        if on_quirk(Quirk.RESOURCE_REQUIRES_KID):
            # A JWT library set up for RFC 9068 access tokens: a key id and typ at+jwt, or nothing.
            scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
            parts = unverified_parts(token.strip()) if scheme.lower() == "bearer" else None
            if parts is not None and (not parts[0].get("kid") or parts[0].get("typ") != "at+jwt"):
                error = {"error": "invalid_token", "error_description": "The token has no kid or is not typed at+jwt."}
                return False, SimpleNamespace(user=None, scopes=[], oauth2_error=error)
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
