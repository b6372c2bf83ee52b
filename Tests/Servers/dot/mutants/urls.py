"""The URLs of one issuer, below its prefix /m/<name>/ (mutants/wsgi.py moves the prefix to SCRIPT_NAME).

The hardened URL set (dotserver/urls.py), with this package's views in place of DOT's where an
issuer differs.
"""

from django.contrib.auth.views import LoginView
from django.urls import URLPattern, include, path
from oauth2_provider import urls as dot_urls

from . import views


_OURS = {
    "authorize": views.AuthorizationView.as_view(),
    "token": views.TokenView.as_view(),
    "oidc-connect-discovery-info": views.ConnectDiscoveryInfoView.as_view(),
    "oauth-server-metadata": views.OAuthServerMetadataView.as_view(),
    "oauth-server-metadata-issuer": views.OAuthServerMetadataView.as_view(),
}


def _ours(patterns):
    return [URLPattern(p.pattern, _OURS.get(p.name, p.callback), p.default_args, p.name) for p in patterns]


_dot_patterns = _ours(dot_urls.metadata_urlpatterns + dot_urls.base_urlpatterns + dot_urls.oidc_urlpatterns)

urlpatterns = [
    path("o/", include((_dot_patterns, "oauth2_provider"), namespace="oauth2_provider")),
    path("", include((_ours(dot_urls.metadata_urlpatterns), "dot_root_metadata"), namespace="dot_root_metadata")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("api/me", views.MeView.as_view(), name="api-me"),
]
