"""django-oauth-toolkit settings per issuer.

DOT reads its settings from one module-level object, oauth2_provider.settings.oauth2_settings,
which caches every value it resolves. install() gives that object a subclass whose attribute
lookup first asks the current issuer (mutants/registry.py): its `oauth2` overrides and its own
OIDC_ISS_ENDPOINT. Everything else, and every lookup outside a request, falls through to the
settings module unchanged.

With ALWAYS_RELOAD_OAUTHLIB_CORE (mutants/settings.py) DOT builds its oauthlib server on every
request, so the server's constructor arguments (token lifetime, generators) are per issuer too.
That rebuild stores the server on the view class; the gunicorn workers run one request at a time
(sync workers), so no other request sees it.
"""

from oauth2_provider.settings import OAuth2ProviderSettings, oauth2_settings, perform_import

from .registry import current


_resolved = {}  # (issuer name, setting) -> value, import strings imported once


def _override(mutation, attr):
    key = (mutation.name, attr)
    if key not in _resolved:
        if attr == "OIDC_ISS_ENDPOINT":
            value = mutation.issuer
        else:
            value = mutation.oauth2[attr]
            if attr in oauth2_settings.import_strings:
                value = perform_import(value, attr)
        _resolved[key] = value
    return _resolved[key]


class IssuerSettings(OAuth2ProviderSettings):
    def __getattribute__(self, attr):
        if attr.isupper():
            mutation = current()
            if attr == "OIDC_ISS_ENDPOINT" or attr in mutation.oauth2:
                return _override(mutation, attr)
        return super().__getattribute__(attr)


def install():
    oauth2_settings.__class__ = IssuerSettings
