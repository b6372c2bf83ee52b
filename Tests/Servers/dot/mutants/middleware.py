"""Per-issuer HTTP layer: Django's security headers and session cookie, and what a gateway in front does
(a WAF, a rate limiter and a load balancer among them, for the quirks)."""

import base64
from urllib.parse import unquote_plus

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from . import quirks
from .registry import Break, Quirk, current, on, on_quirk


def _issuer_setting(name):
    # SecurityMiddleware.__init__ copies these from the settings module once; read them per
    # request from the current issuer instead (the assignment in __init__ is ignored).
    return property(lambda self: current().django_setting(name), lambda self, value: None)


class IssuerSecurityMiddleware(SecurityMiddleware):
    """Django's SecurityMiddleware with the issuer's HSTS, https-redirect and Referrer-Policy settings."""

    sts_seconds = _issuer_setting("SECURE_HSTS_SECONDS")
    redirect = _issuer_setting("SECURE_SSL_REDIRECT")
    referrer_policy = _issuer_setting("SECURE_REFERRER_POLICY")

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if on(Break.HSTS_MAX_AGE_ZERO):
            # HSTS "switched off" by zeroing its max-age (RFC 6797 §6.1.1: the host is forgotten).
            response["Strict-Transport-Security"] = "max-age=0"
        return response


CSP_PORTAL = "https://portal.example.test"  # the operator's portal that frames the pages (CSP_FRAME_ANCESTORS)


class IssuerFrameOptionsMiddleware(XFrameOptionsMiddleware):
    """Django's X-Frame-Options middleware (DENY), as if left out of MIDDLEWARE for FRAME_PROTECTION_OFF."""

    def process_response(self, request, response):
        if on(Break.FRAME_PROTECTION_OFF):
            return response
        if on_quirk(Quirk.CSP_FRAME_ANCESTORS):
            # Framing by the server itself and by the operator's portal, said by CSP alone.
            response["Content-Security-Policy"] = f"frame-ancestors 'self' {CSP_PORTAL}"
            return response
        return super().process_response(request, response)


class IssuerSessionMiddleware(SessionMiddleware):
    """Django's SessionMiddleware with the issuer's SESSION_COOKIE_SECURE, _HTTPONLY and _SAMESITE.

    SessionMiddleware reads them from the settings module when it sets the cookie; the issuer's
    values then replace them on that cookie (an empty attribute is left out of Set-Cookie).
    """

    def process_response(self, request, response):
        response = super().process_response(request, response)
        cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
        if cookie is not None:
            issuer = current()
            cookie["secure"] = issuer.django_setting("SESSION_COOKIE_SECURE") or ""
            cookie["httponly"] = issuer.django_setting("SESSION_COOKIE_HTTPONLY") or ""
            cookie["samesite"] = issuer.django_setting("SESSION_COOKIE_SAMESITE") or ""
        return response


class GatewayMiddleware:
    """What a proxy in front of the application does, when the issuer's operator got it wrong."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = self._in_front(request)
        if refused is not None:
            return refused
        if on(Break.RESOURCE_DROPS_AUTHORIZATION) and request.path == reverse("api-me"):
            # Like mod_wsgi without WSGIPassAuthorization: the header never reaches the app.
            request.META.pop("HTTP_AUTHORIZATION", None)
        authorizing = request.path == reverse("oauth2_provider:authorize")
        if on(Break.CORS_AUTHORIZE) and authorizing and "Origin" in request.headers:
            return self._cross_origin(request)
        response = self.get_response(request)
        if on(Break.TOKEN_RESPONSE_CACHEABLE) and request.path == reverse("oauth2_provider:token"):
            # A site-wide caching rule that also matches the token endpoint.
            response["Cache-Control"] = "public, max-age=60"
            del response["Pragma"]
        return response

    def _in_front(self, request):
        """What answers before the application sees the request: a WAF, a rate limiter, a load
        balancer with a cold backend. None: the request goes on."""
        token, authorize = reverse("oauth2_provider:token"), reverse("oauth2_provider:authorize")
        if request.path not in (token, authorize):
            return None
        if on(Break.WAF_BLOCKS_ATTACKS) and request.path == authorize:
            redirect_uri = request.GET.get("redirect_uri", "")
            if "attacker" in redirect_uri.lower() or "*" in redirect_uri:
                return quirks.html_page("Request blocked", "<p>This request was blocked by the security rules of this site.</p>", status=403)
        if on_quirk(Quirk.RATE_LIMITED) and quirks.count("rate-limit", request.path) % quirks.RATE_LIMIT_EVERY == 0:
            return quirks.too_many_requests()
        if on_quirk(Quirk.COLD_START_503) and request.path == token and request.method == "POST":
            if quirks.count("cold-start", _client_id(request)) == 1:
                return quirks.service_unavailable()
        return None

    def _cross_origin(self, request):
        """A CORS rule that echoes any Origin, with credentials, and matches the authorization endpoint
        too: it answers a preflight itself and lets the calling site read every answer."""
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = HttpResponse()
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        else:
            response = self.get_response(request)
        response["Access-Control-Allow-Origin"] = request.headers["Origin"]
        response["Access-Control-Allow-Credentials"] = "true"
        patch_vary_headers(response, ("Origin",))
        return response


def _client_id(request):
    """The client_id of a token request: its Basic credentials', else the form's."""
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            return unquote_plus(base64.b64decode(credentials.strip()).decode("utf-8").split(":", 1)[0])
        except (ValueError, UnicodeDecodeError):
            return ""
    return request.POST.get("client_id", "")
