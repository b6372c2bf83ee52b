"""Create or update the oauthprobe users and applications (idempotent).

Reads the plaintext secrets from state/secrets/ (written by setup.sh) and stores them
the way DOT does (hashed by ClientSecretField). Prints nothing secret.
"""

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
