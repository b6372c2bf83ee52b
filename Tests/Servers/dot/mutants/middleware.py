"""Per-issuer HTTP layer: Django's security headers, and what a gateway in front of the app does."""

from django.middleware.security import SecurityMiddleware
from django.urls import reverse

from .registry import Break, current, on


def _issuer_setting(name):
    # SecurityMiddleware.__init__ copies these from the settings module once; read them per
    # request from the current issuer instead (the assignment in __init__ is ignored).
    return property(lambda self: current().django_setting(name), lambda self, value: None)


class IssuerSecurityMiddleware(SecurityMiddleware):
    """Django's SecurityMiddleware with the issuer's HSTS and https-redirect settings."""

    sts_seconds = _issuer_setting("SECURE_HSTS_SECONDS")
    redirect = _issuer_setting("SECURE_SSL_REDIRECT")


class GatewayMiddleware:
    """What a proxy in front of the application does, when the issuer's operator got it wrong."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if on(Break.RESOURCE_DROPS_AUTHORIZATION) and request.path == reverse("api-me"):
            # Like mod_wsgi without WSGIPassAuthorization: the header never reaches the app.
            request.META.pop("HTTP_AUTHORIZATION", None)
        response = self.get_response(request)
        if on(Break.TOKEN_RESPONSE_CACHEABLE) and request.path == reverse("oauth2_provider:token"):
            # A site-wide caching rule that also matches the token endpoint.
            response["Cache-Control"] = "public, max-age=60"
            del response["Pragma"]
        return response
