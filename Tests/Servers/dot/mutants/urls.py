"""The URLs of one issuer, below its prefix /m/<name>/ (mutants/wsgi.py moves the prefix to SCRIPT_NAME).

The hardened URL set (dotserver/urls.py), with this package's views in place of DOT's where an
issuer differs; pushed authorization requests (mutants/par.py) and DPoP (mutants/dpop.py) wrap them;
and the pages of the quirks (mutants/quirks.py).
"""

import functools
import json

from django.urls import URLPattern, include, path
from oauth2_provider import urls as dot_urls
from oauth2_provider import views as dot_views

from . import dpop, par, quirks, views


def _metadata(view):
    """A metadata view whose document also advertises PAR and DPoP."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            document = json.loads(response.content)
            document.update(par.metadata(request))
            document.update(dpop.metadata())
            response.content = json.dumps(document).encode()
        return response

    return wrapped


_OURS = {
    "authorize": par.authorization_view(views.AuthorizationView.as_view()),
    "token": dpop.token_view(views.TokenView.as_view()),
    "user-info": dpop.resource_view(dot_views.UserInfoView.as_view()),
    "introspect": views.IntrospectTokenView.as_view(),
    "jwks-info": views.JwksInfoView.as_view(),
    "oidc-connect-discovery-info": _metadata(views.ConnectDiscoveryInfoView.as_view()),
    "oauth-server-metadata": _metadata(views.OAuthServerMetadataView.as_view()),
    "oauth-server-metadata-issuer": _metadata(views.OAuthServerMetadataView.as_view()),
}


def _ours(patterns):
    return [URLPattern(p.pattern, _OURS.get(p.name, p.callback), p.default_args, p.name) for p in patterns]


_dot_patterns = _ours(dot_urls.metadata_urlpatterns + dot_urls.base_urlpatterns + dot_urls.oidc_urlpatterns)

urlpatterns = [
    path("o/par/", par.push, name="pushed-authorization-request"),
    path("o/", include((_dot_patterns, "oauth2_provider"), namespace="oauth2_provider")),
    path("", include((_ours(dot_urls.metadata_urlpatterns), "dot_root_metadata"), namespace="dot_root_metadata")),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    # The pages some quirks send the browser to (mutants/quirks.py).
    path("accounts/login/done", quirks.login_done, name="quirk-login-done"),
    path("home/error", quirks.home_error, name="quirk-error-page"),
    path("oauth-error", quirks.oauth_error, name="quirk-other-origin-error-page"),
    path("api/me", dpop.resource_view(views.MeView.as_view()), name="api-me"),
    path("api/other", dpop.resource_view(views.OtherView.as_view()), name="api-other"),
]
