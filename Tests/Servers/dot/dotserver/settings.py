"""Settings for the oauthprobe django-oauth-toolkit (DOT 3.4.1) fixture.

One settings module, three deployments chosen by the environment variable
OAUTHPROBE_DOT_MODE:

* ``hardened``   https://127.0.0.1:8401 (TLS by gunicorn), every RFC 9700 switch of DOT on.
* ``permissive`` http://127.0.0.1:8402, the switches left (or set) the way a careless
  operator leaves them.
* ``mfa``        https://127.0.0.1:8409, the hardened settings with identifier-first sign-in
  and a TOTP second factor (django-otp's TOTP plugin; dotserver/mfa.py has the pages).

A third, ``mutants`` (https://127.0.0.1:8404), starts from the hardened settings here and is
completed by mutants/settings.py (DJANGO_SETTINGS_MODULE=mutants.settings).

Each mode has its own sqlite file and OIDC signing key under state/. The state files are
written by setup.sh; nothing here generates secrets.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = BASE_DIR / "state"

MODE = os.environ.get("OAUTHPROBE_DOT_MODE", "")
if MODE not in ("hardened", "permissive", "mutants", "mfa"):
    raise ImproperlyConfigured("OAUTHPROBE_DOT_MODE must be 'hardened', 'permissive', 'mutants' or 'mfa'")
HARDENED = MODE in ("hardened", "mutants", "mfa")
# Identifier-first sign-in with a TOTP second factor (django-otp), and an authorization
# endpoint that asks for an OTP-verified user (dotserver/mfa.py).
MFA = MODE == "mfa"

PORT = {"hardened": 8401, "permissive": 8402, "mutants": 8404, "mfa": 8409}[MODE]
ORIGIN = f"https://127.0.0.1:{PORT}" if HARDENED else f"http://127.0.0.1:{PORT}"
ISSUER = f"{ORIGIN}/o"


def _state_file(relative):
    path = STATE_DIR / relative
    try:
        return path.read_text()
    except FileNotFoundError:
        raise ImproperlyConfigured(f"{path} is missing: run Tests/Servers/dot/setup.sh first")


SECRET_KEY = _state_file("secrets/django-secret-key").strip()
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
    "probeapps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if MFA:
    # django-otp and its TOTP devices, only in this mode (its tables exist only in db-mfa).
    INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp"]
    # After AuthenticationMiddleware: sets request.user.otp_device and user.is_verified().
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "django_otp.middleware.OTPMiddleware",
    )
    # django-otp's TOTP defaults are kept: 30 s step, 6 digits, SHA-1, one step of tolerance
    # each way, drift sync on (OTP_TOTP_SYNC), throttling factor 1 (1, 2, 4, ... s after each
    # failed code). The issuer only names the account in the device's otpauth:// URL.
    OTP_TOTP_ISSUER = "oauthprobe DOT mfa"
# The authorization endpoint refuses a user whose session has no verified OTP device.
OTP_REQUIRED = MFA
# How long the password step stays good for the code step (seconds).
MFA_PASSWORD_STEP_SECONDS = 300

ROOT_URLCONF = "dotserver.urls"
WSGI_APPLICATION = "dotserver.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": STATE_DIR / f"db-{MODE}.sqlite3",
        # Several gunicorn workers write at once: WAL lets readers go on while one writes, and
        # IMMEDIATE transactions wait for the write lock (up to the timeout) instead of failing
        # with "database is locked" when a read transaction tries to upgrade.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/accounts/login/"

# Separate cookie names so a browser (or cookie jar) that talks to both servers on
# 127.0.0.1 never mixes their sessions: cookies do not isolate by port.
SESSION_COOKIE_NAME = f"dot_{MODE}_sessionid"
CSRF_COOKIE_NAME = f"dot_{MODE}_csrftoken"

if HARDENED:
    SECURE_SSL_REDIRECT = True  # there is no plain-http port; a no-op behind gunicorn's TLS
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "no-referrer"
    X_FRAME_OPTIONS = "DENY"
else:
    # The careless operator's plain-http deployment: Django's defaults.
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False
    SECURE_HSTS_SECONDS = 0

SCOPES = {
    "openid": "OpenID Connect",
    "read": "Read your data",
    "write": "Change your data",
    "profile": "Your profile",
}

OAUTH2_PROVIDER_APPLICATION_MODEL = "probeapps.ProbeApplication"

_COMMON = {
    "SCOPES": SCOPES,
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _state_file(f"oidc/{MODE}.pem"),
    "OIDC_ISS_ENDPOINT": ISSUER,
}

if HARDENED:
    OAUTH2_PROVIDER = {
        **_COMMON,
        # Per-application scopes (ProbeApplication.allowed_scopes) and nothing by default
        # beyond "read".
        "SCOPES_BACKEND_CLASS": "dotserver.scopes.PerApplicationScopes",
        "DEFAULT_SCOPES": ["read"],
        # Public clients get no refresh token and may not use the refresh_token grant.
        "OAUTH2_VALIDATOR_CLASS": "dotserver.validators.NoPublicRefreshValidator",
        # PKCE for every authorization code request, S256 only
        # (COMPLIANT_BCP_RFC9700_PKCE_METHOD refuses "plain", and a request with a
        # challenge but no method defaults to "plain", so it is refused too).
        "PKCE_REQUIRED": True,
        # Every RFC 9700 gate of DOT 3.4.1 (oauth2_provider/settings.py).
        "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
        "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
        "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
        "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
        "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
        "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
        "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
        "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
        # The settings the config gates above validate.
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
        "ALLOW_URI_WILDCARDS": False,
        "ROTATE_REFRESH_TOKEN": True,
        "REFRESH_TOKEN_REUSE_PROTECTION": True,
        "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
        # Short lifetimes.
        "ACCESS_TOKEN_EXPIRE_SECONDS": 300,
        "ID_TOKEN_EXPIRE_SECONDS": 300,
        "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
        "REFRESH_TOKEN_EXPIRE_SECONDS": 86400,
        # Advertise only what the server accepts.
        "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
        "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
        "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials", "refresh_token"],
        "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["client_secret_basic", "client_secret_post"],
        "OAUTH2_PROTECTED_RESOURCE_BEARER_METHODS_SUPPORTED": ["header"],
    }
else:
    OAUTH2_PROVIDER = {
        **_COMMON,
        # Every scope to every client (DOT's SettingsScopes), all of them by default.
        "SCOPES_BACKEND_CLASS": "oauth2_provider.scopes.SettingsScopes",
        "DEFAULT_SCOPES": ["__all__"],
        "OAUTH2_VALIDATOR_CLASS": "oauth2_provider.oauth2_validators.OAuth2Validator",
        # DOT 2+ requires PKCE by default: the careless operator switched it off.
        "PKCE_REQUIRED": False,
        # ...and allowed wildcard hosts, to register preview deployments (*.public.client.test).
        "ALLOW_URI_WILDCARDS": True,
        "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": False,
        "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": False,
        "COMPLIANT_BCP_RFC9700_PKCE_METHOD": False,
        "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": False,
        "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": False,
        "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": False,
        "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": False,
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": False,
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": False,
        "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": False,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
        "ROTATE_REFRESH_TOKEN": False,
        "REFRESH_TOKEN_REUSE_PROTECTION": False,
        # Long lifetimes: 10 h access/ID token (DOT's default), 10 min code,
        # refresh tokens that never expire (DOT's default None).
        "ACCESS_TOKEN_EXPIRE_SECONDS": 36000,
        "ID_TOKEN_EXPIRE_SECONDS": 36000,
        "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
        "REFRESH_TOKEN_EXPIRE_SECONDS": None,
        "OAUTH2_PROTECTED_RESOURCE_BEARER_METHODS_SUPPORTED": ["header", "body", "query"],
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "oauth2_provider": {"handlers": ["console"], "level": "WARNING"},
        "django": {"handlers": ["console"], "level": "WARNING"},
    },
}
