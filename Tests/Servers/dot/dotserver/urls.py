from django.conf import settings
from django.contrib.auth.views import LoginView
from django.urls import include, path
from oauth2_provider import urls as dot_urls

from .views import MeView


if settings.HARDENED:
    # Only the protocol endpoints: no application/token management pages that any
    # signed-in user could use to register clients.
    _dot_patterns = dot_urls.metadata_urlpatterns + dot_urls.base_urlpatterns + dot_urls.oidc_urlpatterns
else:
    # The careless include of everything DOT ships (management views included).
    _dot_patterns = dot_urls.urlpatterns

if settings.MFA:
    # Identifier-first sign-in with a TOTP code (dotserver/mfa.py), and DOT's authorization
    # endpoint for OTP-verified users only.
    from . import mfa

    _dot_patterns = [
        path("authorize/", mfa.MfaAuthorizationView.as_view(), name="authorize")
        if getattr(pattern, "name", None) == "authorize" else pattern
        for pattern in _dot_patterns
    ]
    _login_patterns = [
        path("accounts/login/", mfa.UsernameView.as_view(), name="login"),
        path("accounts/login/password/", mfa.PasswordView.as_view(), name="login-password"),
        path("accounts/login/otp/", mfa.OtpView.as_view(), name="login-otp"),
    ]
else:
    _login_patterns = [path("accounts/login/", LoginView.as_view(), name="login")]

urlpatterns = [
    path("o/", include((_dot_patterns, "oauth2_provider"), namespace="oauth2_provider")),
    # RFC 8414 / RFC 9728 documents also at the origin root, so that
    # /.well-known/oauth-authorization-server/o (RFC 8414 section 3.1 for issuer
    # .../o) answers as well as /o/.well-known/oauth-authorization-server.
    path("", include((dot_urls.metadata_urlpatterns, "dot_root_metadata"), namespace="dot_root_metadata")),
    *_login_patterns,
    path("api/me", MeView.as_view(), name="api-me"),
]
