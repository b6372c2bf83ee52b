"""Create or update the oauthprobe users and applications (idempotent).

Reads the plaintext secrets from state/secrets/ (written by setup.sh) and stores them
the way DOT does (hashed by ClientSecretField). Prints nothing secret.

In the mfa mode probe-user also gets a confirmed django-otp TOTPDevice whose key is
state/secrets/user-totp (base32 there, hex in the database); see seed_totp_device.
"""

import base64
import binascii

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from oauth2_provider.models import get_application_model


Application = get_application_model()

CONFIDENTIAL = Application.CLIENT_CONFIDENTIAL
PUBLIC = Application.CLIENT_PUBLIC
AUTH_CODE = Application.GRANT_AUTHORIZATION_CODE
CLIENT_CREDENTIALS = Application.GRANT_CLIENT_CREDENTIALS

# role, client_id, type, grant, redirect_uri, allowed scopes (hardened), skip_authorization, enabled
CLIENTS = [
    ("public", "probe-public", PUBLIC, AUTH_CODE, "https://public.client.test/cb", "openid read", False, True),
    ("public_b", "probe-public-b", PUBLIC, AUTH_CODE, "https://public-b.client.test/cb", "openid read", False, True),
    ("confidential", "probe-web", CONFIDENTIAL, AUTH_CODE, "https://web.client.test/cb", "openid read", False, True),
    ("confidential_b", "probe-web-b", CONFIDENTIAL, AUTH_CODE, "https://web-b.client.test/cb", "openid read", False, True),
    ("service", "probe-service", CONFIDENTIAL, CLIENT_CREDENTIALS, "", "read", False, True),
    ("disabled", "probe-disabled", CONFIDENTIAL, AUTH_CODE, "https://disabled.client.test/cb", "openid read", False, False),
]

USERNAME = "probe-user"
TOTP_DEVICE_NAME = "authenticator app"


def _read_secret(name):
    path = Path(settings.STATE_DIR) / "secrets" / name
    try:
        value = path.read_text()
    except FileNotFoundError:
        raise CommandError(f"{path} is missing (setup.sh writes it)")
    if not value or value != value.strip():
        raise CommandError(f"{path} is empty or has surrounding whitespace")
    return value


class Command(BaseCommand):
    help = "Create or update the oauthprobe fixture user and applications."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        user, _ = User.objects.get_or_create(username=USERNAME)
        user.set_password(_read_secret("user-password"))
        user.is_active = True
        user.is_staff = False
        user.is_superuser = False
        user.save()

        if settings.MFA:
            seed_totp_device(user, _read_secret("user-totp"))

        for role, client_id, client_type, grant, redirect_uri, scopes, skip, enabled in CLIENTS:
            app = Application.objects.filter(client_id=client_id).first()
            if app is None:
                # A new application keeps DOT's defaults, among them a random client
                # secret (also for public clients: an empty one would be hashed and
                # then accepted as the secret).
                app = Application(client_id=client_id)
            app.name = f"oauthprobe {role}"
            app.user = None
            app.client_type = client_type
            app.authorization_grant_type = grant
            app.redirect_uris = redirect_uri
            if role == "public" and not settings.HARDENED:
                # The careless operator's wildcard for preview deployments (ALLOW_URI_WILDCARDS).
                app.redirect_uris = f"{redirect_uri} https://*.public.client.test/cb"
            app.post_logout_redirect_uris = ""
            app.allowed_origins = ""
            app.skip_authorization = skip
            app.algorithm = Application.RS256_ALGORITHM
            app.hash_client_secret = True
            app.allowed_scopes = scopes
            if role == "confidential" and settings.MODE == "mutants":
                # The mutant deployment's second API (/api/other) has a scope of its own.
                app.allowed_scopes = f"{scopes} other"
            app.enabled = enabled
            if client_type == CONFIDENTIAL:
                # Plaintext here; ClientSecretField hashes it on save.
                app.client_secret = _read_secret(role)
            # full_clean() is where DOT enforces ALLOWED_REDIRECT_URI_SCHEMES,
            # wildcards and the algorithm rules.
            app.full_clean()
            app.save()


def seed_totp_device(user, secret_b32):
    """Give ``user`` one confirmed TOTPDevice whose key is ``secret_b32`` (RFC 4648 base32).

    django-otp's defaults otherwise: 30 s step, t0 0, 6 digits, HMAC-SHA-1, tolerance 1.
    A re-seed keeps ``last_t`` (a code already used stays used) unless the key changed, and
    clears drift and throttling (a test run starts from a clock in step and no lock-out).
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    try:
        key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8), casefold=False)
    except (binascii.Error, ValueError):
        raise CommandError("state/secrets/user-totp is not base32 (upper case, no padding)")
    if not 10 <= len(key) <= 40:
        raise CommandError("state/secrets/user-totp must hold 10 to 40 bytes")
    hex_key = key.hex()
    devices = list(TOTPDevice.objects.filter(user=user).order_by("pk"))
    device = devices[0] if devices else TOTPDevice(user=user)
    for extra in devices[1:]:
        extra.delete()
    if device.key != hex_key:
        device.key = hex_key
        device.last_t = -1
    device.name = TOTP_DEVICE_NAME
    device.confirmed = True
    device.step = 30
    device.t0 = 0
    device.digits = 6
    device.tolerance = 1
    device.drift = 0
    device.throttle_reset(commit=False)
    device.full_clean()
    device.save()
