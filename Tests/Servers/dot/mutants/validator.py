"""OAUTH2_VALIDATOR_CLASS of every issuer in the mutant deployment.

The clean issuer is the hardened one (dotserver.validators.NoPublicRefreshValidator: no refresh
tokens for public clients) plus what DOT does not do by itself:

* redirect_uri compared as an exact string (DOT lower-cases the host);
* a replayed authorization code revokes the tokens its first redemption issued (and, with the quirk
  revocation-cascades, every token of that client for that user, as a revocation does);
* a code_verifier must have RFC 7636's form (43 to 128 unreserved characters) before it is compared;
* a bearer token is valid only at the issuer that made it, and an ID token is never taken for an
  access token (oauthlib hands every JWT-shaped bearer token to validate_jwt_bearer_token, which
  in DOT accepts ID tokens).

Every `on(Break.X)` below is the one place where mutation X departs from that (mutants/registry.py).
"""

import base64
import hashlib
import json
import re
from datetime import timedelta
from urllib.parse import unquote_plus

from django.db import router, transaction
from django.utils import timezone
from jwcrypto import jwt
from oauth2_provider.models import (
    AbstractApplication,
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
    revoke_access_token,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.tokens import random_token_generator

from dotserver.validators import NoPublicRefreshValidator

from . import dpop, quirks
from .models import CodeRedemption, JwtAccessToken
from .registry import OFFLINE_ACCESS, Break, Quirk, current, on, on_quirk
from .tokens import unverified_parts


Application = get_application_model()
AccessToken = get_access_token_model()
Grant = get_grant_model()
IDToken = get_id_token_model()
RefreshToken = get_refresh_token_model()

PUBLIC = AbstractApplication.CLIENT_PUBLIC
# The client an unknown client_id falls back to under UNKNOWN_CLIENT_FALLBACK.
FALLBACK_CLIENT_ID = "probe-service"

_IMPLICIT = {frozenset({"token"}), frozenset({"id_token"}), frozenset({"id_token", "token"})}
_HYBRID = {frozenset({"code", "token"}), frozenset({"code", "id_token"}), frozenset({"code", "id_token", "token"})}
# IDENTITY_SCOPES_REFUSED: the scopes that name the user (OIDC Core §5.4, §11), which Duende calls
# identity scopes.
_IDENTITY_SCOPES = {"openid", "profile", "email", "address", "phone", OFFLINE_ACCESS}
# RFC 7636 §4.1: code-verifier = 43*128unreserved (oauthlib and DOT compare any string).
_CODE_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")


def _checksum(value):
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _is_public(request):
    return request.client is not None and request.client.client_type == PUBLIC


class MfaRequired(errors.OAuth2Error):
    """Auth0's answer to a password grant for a user who must pass a second factor."""

    error = "mfa_required"
    status_code = 403
    description = "Multifactor authentication required"


def _id_token_hash(value):
    """c_hash / at_hash for RS256 (OIDC Core §3.3.2.11): the left half of SHA-256, base64url."""
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()[:16]).decode().rstrip("=")


class IssuerValidator(NoPublicRefreshValidator):
    # --- client authentication -----------------------------------------------------------------

    def authenticate_client(self, request, *args, **kwargs):
        if super().authenticate_client(request, *args, **kwargs):
            return True
        if on(Break.SECRET_OPTIONAL) and not self._sent_secret(request):
            return self._load_application(request.client_id, request) is not None
        if on(Break.PUBLIC_CLIENT_CREDENTIALS) and request.grant_type == "client_credentials":
            client = self._load_application(request.client_id, request)
            return client is not None and client.client_type == PUBLIC
        if on(Break.UNKNOWN_CLIENT_FALLBACK):
            presented = self._presented_client_id(request)
            if presented and not Application.objects.filter(client_id=presented).exists():
                request.client = Application.objects.get(client_id=FALLBACK_CLIENT_ID)
                request.client_id = FALLBACK_CLIENT_ID
                return True
        return False

    def _sent_secret(self, request):
        return bool(self._extract_basic_auth(request) or getattr(request, "client_secret", None))

    def _presented_client_id(self, request):
        """The client_id of the Basic credentials, else of the body."""
        basic = self._extract_basic_auth(request)
        if not basic:
            return request.client_id
        try:
            return unquote_plus(base64.b64decode(basic).decode("utf-8").split(":", 1)[0])
        except (ValueError, UnicodeDecodeError):
            return None

    def _check_secret(self, provided_secret, stored_secret):
        if on(Break.ANY_SECRET):
            return bool(provided_secret)
        return super()._check_secret(provided_secret, stored_secret)

    def _load_application(self, client_id, request):
        client = super()._load_application(client_id, request)
        if client is None and on(Break.DISABLED_CLIENT_USABLE):
            # Loaded without DOT's is_usable() check.
            client = request.client = Application.objects.filter(client_id=client_id).first()
        return client

    # --- grants, response types, scopes --------------------------------------------------------

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        public = _is_public(request)
        if grant_type == "password" and on(Break.CONFIDENTIAL_PASSWORD) and not public:
            return not oauth2_settings.COMPLIANT_BCP_RFC9700_PASSWORD_GRANT
        if grant_type == "client_credentials" and on(Break.PUBLIC_CLIENT_CREDENTIALS) and public:
            return True
        if grant_type == "refresh_token" and public and on(Break.PUBLIC_REFRESH):
            # DOT's own rule, without the hardened refusal for public clients.
            return OAuth2Validator.validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs)
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        kind = frozenset(response_type.split())
        if client.client_type == PUBLIC:
            if on(Break.PUBLIC_IMPLICIT) and kind in _IMPLICIT:
                return not oauth2_settings.COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT
            if on(Break.PUBLIC_HYBRID) and kind in _HYBRID:
                return True
            if on(Break.PUBLIC_CODE_ID_TOKEN) and kind == {"code", "id_token"}:
                return True
        return super().validate_response_type(client_id, response_type, client, request, *args, **kwargs)

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        authorizing = request.response_type is not None
        if on_quirk(Quirk.IDENTITY_SCOPES_REFUSED) and _IDENTITY_SCOPES & set(scopes):
            # No user behind a client_credentials token, and no ID token beside response_type=token.
            if request.grant_type == "client_credentials" or request.response_type == "token":
                return False
        if on(Break.IMPLICIT_OPENID_TOKEN_REFUSED) and request.response_type == "token" and "openid" in scopes:
            return False
        if (on(Break.SCOPES_UNCHECKED_AT_AUTHORIZE) and authorizing) or (
            on(Break.SCOPES_UNCHECKED_CLIENT_CREDENTIALS) and request.grant_type == "client_credentials"
        ):
            return set(scopes) <= set(get_scopes_backend().get_all_scopes())
        if on(Break.DEFAULT_SCOPES_ADDED) and authorizing:
            # The deployment's default scopes go on top of what was asked, never checked against
            # the application: shown for consent, stored with the code, given to the token.
            defaults = oauth2_settings.DEFAULT_SCOPES
            asked = [scope for scope in scopes if scope not in defaults]
            request.scopes = list(dict.fromkeys([*scopes, *defaults]))
            scopes = asked
        return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)

    # --- refresh tokens ------------------------------------------------------------------------

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if on(Break.REFRESH_IGNORES_SCOPE):
            request.scope = None  # oauthlib then grants the original scopes
        if not valid and on(Break.REFRESH_NOT_CLIENT_BOUND):
            # DOT sets the instance only when everything but the client matched.
            return getattr(request, "refresh_token_instance", None) is not None
        return valid

    def validate_user(self, username, password, client, request, *args, **kwargs):
        valid = super().validate_user(username, password, client, request, *args, **kwargs)
        # oauthlib asks for the user before it asks whether the client may use the grant at all:
        # the second factor is asked only where the grant would be served.
        if valid and on_quirk(Quirk.PASSWORD_MFA_REQUIRED) and self.validate_grant_type(
            client.client_id, "password", client, request
        ):
            raise MfaRequired(request=request)
        return valid

    def is_within_original_scope(self, request_scopes, refresh_token, request, *args, **kwargs):
        return on(Break.REFRESH_WIDENS_SCOPE)

    # --- saving tokens -------------------------------------------------------------------------

    def save_bearer_token(self, token, request, *args, **kwargs):
        if on(Break.TOKEN_REUSED) and self._hand_out_live_token(token, request):
            return
        if on_quirk(Quirk.REFRESH_NEEDS_OFFLINE_ACCESS) and request.grant_type == "authorization_code" and not (
            OFFLINE_ACCESS in (request.scopes or []) and quirks.remembered("offline-access", quirks.checksum(request.code))
        ):
            # OIDC Core §11: a refresh token for offline_access granted with prompt=consent only
            # (views.AuthorizationView.form_valid remembers such codes).
            token.pop("refresh_token", None)
        if _is_public(request) and on(Break.PUBLIC_REFRESH):
            OAuth2Validator.save_bearer_token(self, token, request, *args, **kwargs)
        else:
            super().save_bearer_token(token, request, *args, **kwargs)
        self._remember(token, request)
        # `token` is the response body from here on.
        if on(Break.SERVICE_REFRESH_TOKEN) and request.grant_type == "client_credentials":
            # DOT cannot store a refresh token without a user: this one is handed out, never stored.
            token["refresh_token"] = random_token_generator(request)
        if on(Break.REFRESH_RESPONSE_OMITS_SCOPE) and request.grant_type == "refresh_token":
            token.pop("scope", None)

    @transaction.atomic
    def _remember(self, token, request):
        """Ties the JWT's jti, and the code it was redeemed for, to the stored access token."""
        access_token = AccessToken.objects.filter(token_checksum=_checksum(token["access_token"])).first()
        if access_token is None:
            return
        _header, claims = unverified_parts(token["access_token"])  # ours: always a JWT with a jti
        JwtAccessToken.objects.update_or_create(access_token=access_token, defaults={"jti": claims["jti"]})
        refresh_token = RefreshToken.objects.filter(access_token=access_token).first()
        if on_quirk(Quirk.REVOCATION_CASCADES):
            # What a cascade may reach: the tokens of this issuer (every issuer shares the tables).
            quirks.remember(quirks.ISSUED_ACCESS_TOKEN, access_token.pk)
            if refresh_token is not None and refresh_token.token_family:
                quirks.remember(quirks.ISSUED_FAMILY, refresh_token.token_family)
        if request.grant_type == "authorization_code":
            CodeRedemption.objects.update_or_create(
                code_checksum=_checksum(request.code),
                defaults={
                    "access_token": access_token,
                    "token_family": refresh_token.token_family if refresh_token else None,
                },
            )

    def _hand_out_live_token(self, token, request):
        """TOKEN_REUSED: answer with a stored live token of this issuer for the same client, user
        and scope (stored in plaintext by that mutation's settings), without a new refresh token."""
        user = None if request.grant_type == "client_credentials" else request.user
        soon = timezone.now() + timedelta(seconds=30)
        candidates = AccessToken.objects.filter(
            application=request.client, user=user, scope=token["scope"], expires__gt=soon
        ).exclude(token="")
        for candidate in candidates.order_by("-expires"):
            parts = unverified_parts(candidate.token)
            # A token bound to a DPoP key only for a request bound to the same key (mutants/dpop.py).
            if parts and parts[1].get("iss") == current().issuer and dpop.bound_key(parts[1]) == dpop.binding():
                token["access_token"] = candidate.token
                token["expires_in"] = int((candidate.expires - timezone.now()).total_seconds())
                token.pop("refresh_token", None)
                return True
        return False

    # --- redirect URIs -------------------------------------------------------------------------

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        return self._registered(request.client, redirect_uri)

    def _registered(self, client, uri):
        issuer = current()
        registered = [*client.redirect_uris.split(), *issuer.extra_redirect_uris.get(client.client_id, ())]
        return any(issuer.redirect_uri_match(uri, candidate) for candidate in registered)

    # --- authorization codes -------------------------------------------------------------------
    # DOT's own lookups, each by code and client; CODE_NOT_CLIENT_BOUND drops the client.

    def _grant(self, code, request):
        grants = Grant.objects.filter(code=code)
        if not on(Break.CODE_NOT_CLIENT_BOUND):
            grants = grants.filter(application=request.client)
        return grants.first()

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = self._grant(code, request)
        if grant is None:
            if not on(Break.CODE_REPLAY_KEEPS_TOKENS):
                self._revoke_redeemed(code)
            return False
        if grant.is_expired():
            return False
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    @transaction.atomic
    def _revoke_redeemed(self, code):
        """A replayed code: revoke what its first redemption issued, refreshed tokens included."""
        redemption = CodeRedemption.objects.select_for_update().filter(code_checksum=_checksum(code)).first()
        if redemption is None:
            return
        # REVOCATION_CASCADES (Keycloak: the replay invalidates the client session): the client and
        # user the code was redeemed for, read before its tokens go.
        holder = self._redemption_holder(redemption) if on_quirk(Quirk.REVOCATION_CASCADES) else None
        if redemption.token_family:
            RefreshToken.revoke_family(redemption.token_family)
        # Still there when the family did not cover it (a public client has no refresh token).
        access_token = AccessToken.objects.filter(pk=redemption.access_token_id).first()
        if access_token is not None:
            revoke_access_token(access_token)
        if holder is not None:
            self._revoke_client_tokens(*holder)

    def _redemption_holder(self, redemption):
        """(application_id, user_id) of a redeemed code, from its access token or its refresh token
        family (None when neither is left: a public client's access token revoked since)."""
        access_token = AccessToken.objects.filter(pk=redemption.access_token_id).first()
        if access_token is not None:
            return access_token.application_id, access_token.user_id
        if redemption.token_family:
            refresh_token = RefreshToken.objects.filter(token_family=redemption.token_family).first()
            if refresh_token is not None:
                return refresh_token.application_id, refresh_token.user_id
        return None

    @transaction.atomic
    def _revoke_client_tokens(self, application_id, user_id):
        """REVOCATION_CASCADES: revokes every live access and refresh token this issuer gave the
        client for the user (Keycloak detaches all of the user's sessions for the client; Duende
        removes the access tokens of the same subject, client and session). A token without a user
        (client_credentials) takes nothing else with it."""
        if user_id is None:
            return
        access_tokens = list(AccessToken.objects.filter(application_id=application_id, user_id=user_id))
        ours = quirks.remembered_among(quirks.ISSUED_ACCESS_TOKEN, [token.pk for token in access_tokens])
        refresh_tokens = list(
            RefreshToken.objects.filter(application_id=application_id, user_id=user_id, revoked__isnull=True)
        )
        families = quirks.remembered_among(
            quirks.ISSUED_FAMILY, {token.token_family for token in refresh_tokens if token.token_family}
        )
        for refresh_token in refresh_tokens:
            if str(refresh_token.token_family) in families or str(refresh_token.access_token_id) in ours:
                refresh_token.revoke()  # and its access token
        for access_token in access_tokens:
            if str(access_token.pk) in ours and AccessToken.objects.filter(pk=access_token.pk).exists():
                revoke_access_token(access_token)

    def get_code_challenge(self, code, request):
        if on(Break.PKCE_VERIFIER_OPTIONAL) and request.code_verifier is None:
            return None
        grant = self._grant(code, request)
        challenge = (grant.code_challenge or None) if grant else None
        malformed = request.code_verifier is not None and not _CODE_VERIFIER.fullmatch(request.code_verifier)
        if challenge and malformed and not on(Break.PKCE_VERIFIER_FORMAT_UNCHECKED):
            raise errors.InvalidGrantError(
                description="code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1).",
                request=request,
            )
        return challenge

    def get_code_challenge_method(self, code, request):
        grant = self._grant(code, request)
        return (grant.code_challenge_method or None) if grant else None

    def is_pkce_required(self, client_id, request):
        if on(Break.PKCE_VERIFIER_OPTIONAL) and request.grant_type == "authorization_code":
            return False  # still required at the authorization endpoint
        return super().is_pkce_required(client_id, request)

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):
        if on(Break.TOKEN_REDIRECT_URI_IGNORED):
            return True
        if on(Break.TOKEN_REDIRECT_URI_OF_PRESENTER):
            return self._registered(client, redirect_uri)
        grant = self._grant(code, request)
        return grant is not None and grant.redirect_uri_allowed(redirect_uri)

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        if on(Break.CODE_REUSABLE):
            return
        grants = Grant.objects.filter(code=code)
        if not on(Break.CODE_NOT_CLIENT_BOUND):
            grants = grants.filter(application=request.client)
        deleted, _ = grants.delete()
        if not deleted:
            raise errors.InvalidGrantError(request=request)

    # --- revocation ----------------------------------------------------------------------------

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs):
        if on(Break.REVOCATION_NOOP):
            return
        # REVOCATION_CASCADES: whose token this revocation reaches, found before it goes.
        holder = self._revoked_holder(token, request) if on_quirk(Quirk.REVOCATION_CASCADES) else None
        if not on(Break.REVOKE_ANY_CLIENT):
            super().revoke_token(token, token_type_hint, request, *args, **kwargs)
        else:
            # DOT's lookup without its application filter.
            checksum = _checksum(token)
            for access_token in AccessToken.objects.filter(token_checksum=checksum):
                revoke_access_token(access_token)
            for refresh_token in RefreshToken.objects.filter(token_checksum=checksum):
                refresh_token.revoke()
        if holder is not None:
            self._revoke_client_tokens(*holder)

    def _revoked_holder(self, token, request):
        """(application_id, user_id) of the live token of this issuer that the revocation reaches
        (DOT's lookup: the requesting client's tokens, any client's under REVOKE_ANY_CLIENT), or None."""
        lookup = {"token_checksum": _checksum(token)}
        if not on(Break.REVOKE_ANY_CLIENT):
            if getattr(request.client, "pk", None) is None:
                return None
            lookup["application_id"] = request.client.pk
        access_tokens = list(AccessToken.objects.filter(**lookup))
        ours = quirks.remembered_among(quirks.ISSUED_ACCESS_TOKEN, [t.pk for t in access_tokens])
        for access_token in access_tokens:
            if str(access_token.pk) in ours:
                return access_token.application_id, access_token.user_id
        refresh_tokens = list(RefreshToken.objects.filter(revoked__isnull=True, **lookup))
        families = quirks.remembered_among(quirks.ISSUED_FAMILY, {t.token_family for t in refresh_tokens if t.token_family})
        ours = quirks.remembered_among(quirks.ISSUED_ACCESS_TOKEN, [t.access_token_id for t in refresh_tokens if t.access_token_id])
        for refresh_token in refresh_tokens:
            if str(refresh_token.token_family) in families or str(refresh_token.access_token_id) in ours:
                return refresh_token.application_id, refresh_token.user_id
        return None

    # --- bearer tokens at the resource and userinfo --------------------------------------------

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False
        parts = unverified_parts(token)
        if parts is None or parts[1].get("iss") != current().issuer:
            request.oauth2_error = {"error": "invalid_token", "error_description": "Not a token of this issuer."}
            return False
        return True

    def validate_jwt_bearer_token(self, token, scopes, request):
        # Our access tokens are JWTs that DOT stores and looks up; an ID token is not one.
        if self.validate_bearer_token(token, scopes, request):
            return True
        return on(Break.RESOURCE_ACCEPTS_ID_TOKEN) and self.validate_issuer_id_token(token, scopes, request)

    def validate_issuer_id_token(self, token, scopes, request):
        """What DOT's validate_jwt_bearer_token does with a JWT-shaped bearer token (its signature,
        expiry, stored jti and scope checked as an ID token's), for an ID token of this issuer."""
        parts = unverified_parts(token) if token else None  # oauthlib asks with None when no token came
        return parts is not None and parts[1].get("iss") == current().issuer and self.validate_id_token(token, scopes, request)

    # --- ID tokens -----------------------------------------------------------------------------

    def get_oidc_issuer_endpoint(self, request):
        if on(Break.ID_TOKEN_WRONG_ISS):
            return current().origin
        return super().get_oidc_issuer_endpoint(request)

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        if on(Break.ID_TOKEN_WRONG_AUD):
            claims["aud"] = current().resource_url
        if on(Break.ID_TOKEN_EXTRA_AUD_NO_AZP):
            claims["aud"] = [request.client_id, "https://api.example.test"]  # DOT never adds azp
        return claims, expiration_time

    def finalize_id_token(self, id_token, token, token_handler, request):
        if on(Break.ID_TOKEN_NO_NONCE):
            id_token.pop("nonce", None)
            request.nonce = None
        # oauthlib has put c_hash (beside a code) and at_hash (beside an access token) in already.
        if on(Break.C_HASH_WRONG) and "c_hash" in id_token:
            id_token["c_hash"] = _id_token_hash(request.nonce or "")
        if on(Break.AT_HASH_MISSING):
            id_token.pop("at_hash", None)
        if on_quirk(Quirk.JWKS_NO_KID):
            return self._finalize_id_token_without_kid(id_token, token, token_handler, request)
        return super().finalize_id_token(id_token, token, token_handler, request)

    def _finalize_id_token_without_kid(self, id_token, token, token_handler, request):
        """DOT's finalize_id_token with no kid in the header (a deployment with one key)."""
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        signed = jwt.JWT(
            header=json.dumps({"typ": "JWT", "alg": request.client.algorithm}),
            claims=json.dumps(id_token, default=str),
        )
        signed.make_signed_token(request.client.jwk_key)
        with transaction.atomic(using=router.db_for_write(IDToken)):
            saved = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = saved
        request.id_token = saved
        return signed.serialize()
