"""Settings of the mutant deployment (OAUTHPROBE_DOT_MODE=mutants, DJANGO_SETTINGS_MODULE=mutants.settings).

The hardened settings (dotserver/settings.py, mode "mutants": its own database, OIDC key and
cookie names), plus what every issuer of this deployment shares: the per-issuer code of this
package, JWT access tokens, and login/redirect URLs given by name so that they carry the issuer's
path prefix. What differs per issuer is in mutants/registry.py.

Ports (all on loopback; start.sh uses the same numbers):
  127.0.0.1:8404, 127.0.0.2:8404  the front (mutants/front.py): TLS to the TLS gunicorn, plain http
                                  to the plain one
  127.0.0.1:8406                  gunicorn, TLS (the mutants certificate)
  127.0.0.1:8407                  gunicorn, plain http, fed by the front with plain http sent to 8404
  127.0.0.1:8405                  the same plain gunicorn: the token endpoint a metadata document
                                  advertises over plain http
  127.0.0.2:80                    the same plain gunicorn: http's default port for 127.0.0.2
"""

from django.core.exceptions import ImproperlyConfigured

from dotserver.settings import *  # noqa: F401,F403  (the hardened base)
from dotserver.settings import BASE_DIR, INSTALLED_APPS, MIDDLEWARE, MODE, OAUTH2_PROVIDER


if MODE != "mutants":
    raise ImproperlyConfigured("mutants.settings needs OAUTHPROBE_DOT_MODE=mutants")

MUTANTS_HTTPS_PORT = 8404
MUTANTS_ADVERTISED_PLAIN_PORT = 8405
# The plain-http gunicorn's listeners, by the address a request arrived at (SERVER_NAME,
# SERVER_PORT), and the kind of plain http each stands for (Mutation.plain_listener).
MUTANTS_PLAIN_LISTENERS = {
    ("127.0.0.1", "8407"): "same-port",
    ("127.0.0.1", str(MUTANTS_ADVERTISED_PLAIN_PORT)): "advertised",
    ("127.0.0.2", "80"): "default-port",
}
MUTANTS_MANIFEST = BASE_DIR / "mutants.json"

INSTALLED_APPS = [*INSTALLED_APPS, "mutants"]
# Few PBKDF2 rounds for client secrets and the password (mutants/hashers.py says why).
PASSWORD_HASHERS = ["mutants.hashers.QuickPBKDF2PasswordHasher"]
ROOT_URLCONF = "mutants.urls"
WSGI_APPLICATION = "mutants.wsgi.application"
ALLOWED_HOSTS = ["127.0.0.1", "127.0.0.2", "localhost"]

# URL names, reversed under the issuer's prefix (/m/<name>/accounts/login/).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "login"

# Django's own security, session and X-Frame-Options middleware, subclassed to read their settings
# per issuer (mutants/middleware.py).
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002"]
_PER_ISSUER = {
    "django.middleware.security.SecurityMiddleware": "mutants.middleware.IssuerSecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware": "mutants.middleware.IssuerSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "mutants.middleware.IssuerFrameOptionsMiddleware",
}
MIDDLEWARE = ["mutants.middleware.GatewayMiddleware", *(_PER_ISSUER.get(name, name) for name in MIDDLEWARE)]

OAUTH2_PROVIDER = {
    **OAUTH2_PROVIDER,
    # The scope of the second API (api/other), which the seed allows probe-web alone in this deployment.
    "SCOPES": {**OAUTH2_PROVIDER["SCOPES"], "other": "Use the other API"},
    "OAUTH2_VALIDATOR_CLASS": "mutants.validator.IssuerValidator",
    "OAUTH2_SERVER_CLASS": "mutants.server.IssuerServer",
    # RFC 9068-style JWT access tokens; DOT stores them (hashed) and looks them up like opaque ones.
    "ACCESS_TOKEN_GENERATOR": "mutants.tokens.jwt_access_token",
    # oauthlib would use the access token generator for refresh tokens too.
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    # Build the oauthlib server per request, so that it is built with the request's issuer settings.
    "ALWAYS_RELOAD_OAUTHLIB_CORE": True,
}
