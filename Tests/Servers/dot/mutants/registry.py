"""The issuers of the mutant deployment: 'clean' and one per mutation, and the one serving this request.

Each issuer lives under its own path prefix, /m/<name>/ (mutants/wsgi.py selects it). A mutation is
the clean issuer with a few things broken the way a careless operator or a buggy server breaks
them:

* `breaks`: named code paths (Break) that the validator, the oauthlib server, the views and the
  middleware of this package consult with on(Break.X);
* `oauth2`: django-oauth-toolkit settings that differ from the clean issuer's (read through the
  per-issuer settings overlay, mutants/overlay.py);
* `django`: the few Django settings our middleware and views read per issuer;
* deployment facts: the host it answers on, the plain-http listener that serves it, the origin
  its metadata gives the token endpoint, how redirect URIs are compared.

The names, the probes each mutation aims at and what it breaks, in words, are in ../mutants.json
(hand-kept, read by the Swift kill-matrix test); this module refuses to load when the two
disagree.
"""

import contextvars
import enum
import json
import secrets
from dataclasses import dataclass, field
from typing import Callable

from django.conf import settings

from . import redirects


HTTPS_PORT = settings.MUTANTS_HTTPS_PORT
MANIFEST = settings.MUTANTS_MANIFEST
# Made once per server start (the gunicorn master loads this module before it forks, --preload):
# what the quirks count "once per server start" is counted under it (mutants/quirks.py).
BOOT = secrets.token_hex(8)


class Break(enum.Enum):
    # Protect Client Secrets / Validate Trusted Applications
    SECRET_OPTIONAL = "a confidential client that sends no secret is identified by client_id alone"
    ANY_SECRET = "any non-empty client secret is accepted"
    SECRET_IN_QUERY = "the token endpoint reads client credentials from the URL query"
    UNKNOWN_CLIENT_FALLBACK = "an unknown client_id is served as the default service client"
    DISABLED_CLIENT_USABLE = "the application's enabled flag is not consulted"
    # Use the Correct Flow
    PUBLIC_IMPLICIT = "the public client may use the implicit response types"
    IMPLICIT_OPENID_TOKEN_REFUSED = "response_type=token with the openid scope is refused (invalid_scope)"
    PUBLIC_HYBRID = "the public client may use every hybrid response type"
    PUBLIC_CODE_ID_TOKEN = "the public client may use response_type=code id_token"
    CONFIDENTIAL_PASSWORD = "the confidential client may use the password grant"
    PUBLIC_CLIENT_CREDENTIALS = "the public client may use client_credentials with its client_id alone"
    TOKEN_IN_CODE_RESPONSE = "every code response also carries an access token"
    # Apply Least Privilege
    SCOPES_UNCHECKED_AT_AUTHORIZE = "authorization requests may ask any defined scope"
    SCOPES_UNCHECKED_CLIENT_CREDENTIALS = "client_credentials requests may ask any defined scope"
    DEFAULT_SCOPES_ADDED = "the deployment's default scopes are added to what a client asks at authorization"
    REFRESH_WIDENS_SCOPE = "a refresh may ask scopes beyond the original grant"
    REFRESH_IGNORES_SCOPE = "the scope parameter of a refresh request is ignored"
    REFRESH_RESPONSE_OMITS_SCOPE = "refresh responses leave out scope"
    # Handle Tokens Securely
    TOKEN_RESPONSE_CACHEABLE = "a caching rule marks token responses cacheable"
    RESOURCE_DROPS_AUTHORIZATION = "the gateway in front of the resource drops the Authorization header"
    RESOURCE_JWT_UNVERIFIED = "the resource decodes JWT access tokens without verifying the signature"
    RESOURCE_JWT_ALG_NONE = "the resource verifies JWTs by the alg their header names, none included"
    RESOURCE_JWT_LOCAL = "the resource verifies JWT access tokens itself and never asks the server"
    TOKEN_REUSED = "a live access token of the same client, user and scope is handed out again"
    ID_TOKEN_WRONG_AUD = "ID tokens name the resource as audience"
    ID_TOKEN_NO_NONCE = "the nonce is not carried into ID tokens"
    ID_TOKEN_WRONG_ISS = "ID tokens name the origin, not the issuer"
    # Refresh and Reference Tokens
    PUBLIC_REFRESH = "public clients get refresh tokens and may use them"
    SERVICE_REFRESH_TOKEN = "client_credentials responses carry a (never stored) refresh token"
    REVOCATION_NOOP = "revocation answers 200 and revokes nothing"
    REVOKE_ANY_CLIENT = "a client may revoke another client's tokens"
    REFRESH_NOT_CLIENT_BOUND = "a refresh token is accepted from any client"
    # Secure Redirect URIs
    REDIRECT_URI_SYNTAX_UNCHECKED = "oauthlib's redirect_uri syntax check (no userinfo, no fragment) is skipped"
    UNKNOWN_CLIENT_REDIRECT = "an unknown client_id gets an error redirect to the redirect_uri it sent"
    TOKEN_REDIRECT_URI_IGNORED = "the token endpoint does not compare redirect_uri"
    TOKEN_REDIRECT_URI_OF_PRESENTER = "the token endpoint checks redirect_uri against the presenting client"
    CODE_NOT_CLIENT_BOUND = "a code is looked up without its client"
    PKCE_VERIFIER_UNCHECKED = "the S256 verifier is not compared with the challenge"
    PKCE_VERIFIER_OPTIONAL = "PKCE is checked at the token endpoint only when a verifier is sent"
    CODE_REUSABLE = "a redeemed code is not invalidated"
    CODE_REPLAY_KEEPS_TOKENS = "replaying a code does not revoke what it issued"
    STATE_LOST_AT_CONSENT = "the consent form does not carry state"
    NO_ISS_ON_ERRORS = "error redirects carry no iss"
    # Pushed authorization requests (RFC 9126) and DPoP (RFC 9449): mutants/par.py, mutants/dpop.py
    PAR_REQUEST_URI_REUSABLE = "a request_uri may be presented again after its first use"
    PAR_REQUEST_URI_ANY_CLIENT = "a request_uri is served as pushed whatever client_id the authorization request names"
    PAR_REQUIRED_NOT_ENFORCED = "authorization requests without a request_uri are served although metadata requires PAR"
    DPOP_BOUND_TOKEN_ACCEPTS_BEARER = "the resources take a DPoP-bound access token sent as a bearer token, without a proof"
    DPOP_PROOF_REPLAY_ACCEPTED = "a DPoP proof's jti is not remembered, so the same proof is taken again"
    DPOP_HTU_UNCHECKED = "a DPoP proof's htu is not compared with the request's URL"
    DPOP_HTM_UNCHECKED = "a DPoP proof's htm is not compared with the request's method"
    # The sign-in and consent pages, the authorization endpoint's answers (the `django` settings
    # SECURE_REFERRER_POLICY and SESSION_COOKIE_* do the rest, mutants/middleware.py)
    FRAME_PROTECTION_OFF = "no page forbids framing (the X-Frame-Options middleware is left out)"
    LOGIN_ANSWERS_307 = "a successful sign-in is answered 307, which repeats the POST of the credentials"
    CORS_AUTHORIZE = "the authorization endpoint answers CORS for any origin, with credentials"
    TOKENS_IN_QUERY = "response_mode=query is honoured for the response types that carry tokens"
    # Codes, ID tokens and the tokens of the introspection, revocation and userinfo endpoints
    PKCE_VERIFIER_FORMAT_UNCHECKED = "a code_verifier is compared without checking its length and characters"
    METADATA_ISSUER_HTTP = "both metadata documents name the issuer by its old http URL"
    ID_TOKEN_EXTRA_AUD_NO_AZP = "ID tokens name a second audience, and no azp"
    C_HASH_WRONG = "c_hash is computed over the nonce, not the code"
    AT_HASH_MISSING = "ID tokens carry no at_hash"
    INTROSPECTION_OPEN = "the introspection endpoint answers every caller"
    REVOCATION_UNAUTHENTICATED = "the revocation endpoint identifies the client by client_id and never checks its secret"
    RESOURCE_ACCEPTS_ID_TOKEN = "the resource takes an ID token of the issuer as an access token"
    USERINFO_ACCEPTS_ID_TOKEN = "the userinfo endpoint takes an ID token of the issuer as an access token"
    RESOURCE_ANY_SCOPE = "/api/me takes any valid token of the issuer, whatever its scope"
    RESOURCE_B_ANY_SCOPE = "/api/other takes any valid token of the issuer, whatever its scope"
    # Broken answers
    REFUSAL_200_EMPTY = "a refused token request is answered 200 {}"
    REFUSAL_WITH_TOKEN = "a refused token request is answered with its error and an access_token field"
    ERROR_PAGE_LINKS_BACK = "the error page for a bad redirect_uri links back to that redirect_uri"
    WAF_BLOCKS_ATTACKS = "a WAF answers 403 to authorization requests whose redirect_uri looks like an attack"
    RESOURCE_OPEN = "/api/me answers requests without an Authorization header 200 {\"user\": null}"
    # HTTPS
    HSTS_MAX_AGE_ZERO = "Strict-Transport-Security: max-age=0 on every answer"


class Quirk(enum.Enum):
    """Behaviours of real, conforming servers (../quirks.json), switched on per issuer like a Break."""

    ERROR_PAGE_200 = "authorization errors that cannot be redirected are an HTML page with status 200"
    ERROR_PAGE_REDIRECT = "authorization errors that cannot be redirected go 302 to the server's /home/error?errorId="
    ERROR_PAGE_OTHER_ORIGIN = "authorization errors that cannot be redirected go 302 to an error page on another origin"
    IDENTITY_SCOPES_REFUSED = "identity scopes refused for client_credentials and for response_type=token"
    REFRESH_NEEDS_OFFLINE_ACCESS = "a refresh token only for scope offline_access asked with prompt=consent"
    PASSWORD_MFA_REQUIRED = "the password grant answers right credentials 403 mfa_required"
    RESOURCE_REQUIRES_KID = "the resources refuse JWTs without kid or with a typ other than at+jwt"
    SCRIPT_SESSION_COOKIE = "the sign-in also sets a script-readable session-state cookie"
    CONSENT_REMEMBERED = "consent is asked once per user, client and scope set, again only with prompt=consent"
    CSP_FRAME_ANCESTORS = "pages forbid framing by CSP frame-ancestors (self and a portal), no X-Frame-Options"
    LOGIN_307_SAME_ORIGIN = "the sign-in POST is answered 307 to a same-origin URL that redirects on"
    RATE_LIMITED = "every 4th request to the token and authorization endpoints gets 429 with Retry-After: 1"
    COLD_START_503 = "each client's first token request gets 503"
    SESSION_FORGOTTEN_401 = "the 12th authorization request finds the session gone; its sign-in page is a 401"
    JSON_NULLS = "token and introspection answers spell absent standard fields as null"
    JWKS_NO_KID = "the JWKS key and the ID tokens carry no kid"
    DPOP_JTI_NOT_TRACKED = "DPoP proof jtis are not remembered"
    REVOCATION_CASCADES = "a revocation or a replayed code revokes every token of that client for that user"


@dataclass(frozen=True)
class Mutation:
    name: str
    breaks: frozenset = frozenset()
    oauth2: dict = field(default_factory=dict)
    django: dict = field(default_factory=dict)
    host: str = "127.0.0.1"
    # "same-port", "default-port" or "advertised": the plain-http listener that serves this issuer
    # (mutants/settings.py MUTANTS_PLAIN_LISTENERS); every other issuer refuses plain http.
    plain_listener: str | None = None
    # The origin the metadata gives the token endpoint, when not the issuer's.
    token_endpoint_origin: str | None = None
    redirect_uri_match: Callable[[str, str], bool] = redirects.exact
    # Redirect URIs this issuer registers for a client beyond its database row: client_id -> URIs.
    extra_redirect_uris: dict = field(default_factory=dict)
    # The quirks (Quirk) switched on, and the name of the quirk they come from (None: no quirk).
    quirks: frozenset = frozenset()
    quirk: str | None = None
    # Entries of the target file's policy.opt_in that this issuer leaves out (its quirk's doing).
    opt_out: frozenset = frozenset()

    @property
    def prefix(self):
        return f"/m/{self.name}"

    @property
    def origin(self):
        return f"https://{self.host}:{HTTPS_PORT}"

    @property
    def base(self):
        return f"{self.origin}{self.prefix}"

    @property
    def issuer(self):
        return f"{self.base}/o"

    @property
    def resource_url(self):
        return f"{self.base}/api/me"

    def django_setting(self, name):
        return self.django.get(name, getattr(settings, name))


def _mutation(name, *breaks, **details):
    return Mutation(name, frozenset(breaks), **details)


_ALLOW_PLAIN_HTTP = {"SECURE_SSL_REDIRECT": False}  # the plain-http listener must reach the views
# The public client may ask every implicit and hybrid response type.
_PUBLIC_FRONT_CHANNEL = (Break.PUBLIC_IMPLICIT, Break.PUBLIC_HYBRID)
_IMPLICIT_GATE_OFF = {"COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": False}

MUTATIONS = [
    _mutation("clean"),
    # Always Use HTTPS
    _mutation("metadata-http-endpoint", token_endpoint_origin=f"http://127.0.0.1:{HTTPS_PORT}"),
    _mutation("https-same-port-plain", plain_listener="same-port", django=_ALLOW_PLAIN_HTTP),
    _mutation("https-default-port-plain", host="127.0.0.2", plain_listener="default-port", django=_ALLOW_PLAIN_HTTP),
    _mutation(
        "https-advertised-plain",
        plain_listener="advertised",
        token_endpoint_origin=f"http://127.0.0.1:{settings.MUTANTS_ADVERTISED_PLAIN_PORT}",
        django=_ALLOW_PLAIN_HTTP,
    ),
    _mutation("hsts-missing", django={"SECURE_HSTS_SECONDS": 0}),
    _mutation("hsts-max-age-zero", Break.HSTS_MAX_AGE_ZERO),
    # Protect Client Secrets
    _mutation("secret-not-required", Break.SECRET_OPTIONAL),
    _mutation("any-secret-accepted", Break.ANY_SECRET),
    _mutation("secret-in-query", Break.SECRET_IN_QUERY),
    # Use the Correct Flow
    _mutation("implicit-enabled", Break.PUBLIC_IMPLICIT, oauth2={"COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": False}),
    _mutation(
        "implicit-openid-token-refused",
        Break.PUBLIC_IMPLICIT,
        Break.IMPLICIT_OPENID_TOKEN_REFUSED,
        oauth2={"COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": False},
    ),
    _mutation("password-grant-enabled", Break.CONFIDENTIAL_PASSWORD, oauth2={"COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": False}),
    _mutation("client-credentials-public", Break.PUBLIC_CLIENT_CREDENTIALS),
    _mutation("hybrid-token", Break.PUBLIC_HYBRID),
    _mutation(
        "metadata-advertises-legacy",
        oauth2={
            # DOT's defaults left in place: every response type and grant type advertised, and the
            # implicit and password gates off (no client is registered for those grants).
            "OIDC_RESPONSE_TYPES_SUPPORTED": [
                "code", "token", "id_token", "id_token token", "code token", "code id_token", "code id_token token",
            ],
            "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code", "token"],
            "OAUTH2_GRANT_TYPES_SUPPORTED": [
                "authorization_code", "implicit", "password", "client_credentials", "refresh_token",
            ],
            "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": False,
            "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": False,
        },
    ),
    # Apply Least Privilege
    _mutation("scope-unchecked-authorize", Break.SCOPES_UNCHECKED_AT_AUTHORIZE),
    _mutation("scope-unchecked-client-credentials", Break.SCOPES_UNCHECKED_CLIENT_CREDENTIALS),
    _mutation("scope-defaults-added", Break.DEFAULT_SCOPES_ADDED, oauth2={"DEFAULT_SCOPES": ["read", "profile"]}),
    _mutation("refresh-widens-scope", Break.REFRESH_WIDENS_SCOPE),
    _mutation("refresh-widens-scope-silently", Break.REFRESH_WIDENS_SCOPE, Break.REFRESH_RESPONSE_OMITS_SCOPE),
    _mutation("refresh-omits-scope", Break.REFRESH_IGNORES_SCOPE, Break.REFRESH_RESPONSE_OMITS_SCOPE),
    # Handle Tokens Securely
    _mutation("token-response-cacheable", Break.TOKEN_RESPONSE_CACHEABLE),
    _mutation("resource-query-token", oauth2={"COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": False}),
    _mutation("resource-header-dropped", Break.RESOURCE_DROPS_AUTHORIZATION),
    _mutation("resource-jwt-unverified", Break.RESOURCE_JWT_UNVERIFIED),
    _mutation("resource-jwt-alg-none", Break.RESOURCE_JWT_ALG_NONE),
    _mutation("resource-jwt-local", Break.RESOURCE_JWT_LOCAL),
    _mutation("revoke-cross-client-local-resource", Break.RESOURCE_JWT_LOCAL, Break.REVOKE_ANY_CLIENT),
    _mutation("token-in-code-response", Break.PUBLIC_CODE_ID_TOKEN, Break.TOKEN_IN_CODE_RESPONSE),
    _mutation("id-token-wrong-aud", Break.ID_TOKEN_WRONG_AUD),
    _mutation("id-token-no-nonce", Break.ID_TOKEN_NO_NONCE),
    _mutation("id-token-wrong-iss", Break.ID_TOKEN_WRONG_ISS),
    # Refresh and Reference Tokens
    _mutation("refresh-public-allowed", Break.PUBLIC_REFRESH),
    _mutation("service-refresh-token", Break.SERVICE_REFRESH_TOKEN),
    _mutation(
        "refresh-no-rotation",
        Break.PUBLIC_REFRESH,
        oauth2={"ROTATE_REFRESH_TOKEN": False, "REFRESH_TOKEN_REUSE_PROTECTION": False},
    ),
    _mutation("long-access-tokens", oauth2={"ACCESS_TOKEN_EXPIRE_SECONDS": 36000}),
    _mutation("revocation-noop", Break.REVOCATION_NOOP),
    # Secure Redirect URIs: one comparison per way of bending the registered URI
    _mutation("redirect-other-host", redirect_uri_match=redirects.any_host),
    _mutation("redirect-subdomain", redirect_uri_match=redirects.subdomain),
    _mutation("redirect-userinfo", Break.REDIRECT_URI_SYNTAX_UNCHECKED, redirect_uri_match=redirects.userinfo_as_host),
    _mutation("redirect-other-port", redirect_uri_match=redirects.any_port),
    _mutation(
        "redirect-http-scheme",
        redirect_uri_match=redirects.any_scheme,
        oauth2={"ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"]},
    ),
    _mutation("redirect-path-suffix", redirect_uri_match=redirects.path_prefix),
    _mutation("redirect-trailing-slash", redirect_uri_match=redirects.trailing_slash),
    _mutation("redirect-dot-segments", redirect_uri_match=redirects.dot_segments),
    _mutation("redirect-encoded-path", redirect_uri_match=redirects.percent_decoded),
    _mutation("redirect-path-case", redirect_uri_match=redirects.path_case),
    _mutation("redirect-host-case", redirect_uri_match=redirects.dot_stock),
    _mutation("redirect-extra-query", redirect_uri_match=redirects.any_query),
    _mutation("redirect-fragment", Break.REDIRECT_URI_SYNTAX_UNCHECKED, redirect_uri_match=redirects.any_fragment),
    _mutation(
        "redirect-wildcard-host",
        redirect_uri_match=redirects.wildcard_label,
        extra_redirect_uris={"probe-public": ("https://*.public.client.test/cb",)},
    ),
    _mutation("redirect-unknown-client", Break.UNKNOWN_CLIENT_REDIRECT),
    _mutation("token-redirect-uri-ignored", Break.TOKEN_REDIRECT_URI_IGNORED),
    _mutation("pkce-not-required", oauth2={"PKCE_REQUIRED": False}),
    _mutation("pkce-plain-accepted", oauth2={"COMPLIANT_BCP_RFC9700_PKCE_METHOD": False}),
    _mutation("pkce-verifier-unchecked", Break.PKCE_VERIFIER_UNCHECKED),
    _mutation("pkce-verifier-optional", Break.PKCE_VERIFIER_OPTIONAL),
    _mutation("code-reusable", Break.CODE_REUSABLE),
    _mutation("code-replay-keeps-tokens", Break.CODE_REPLAY_KEEPS_TOKENS),
    _mutation("state-lost-at-consent", Break.STATE_LOST_AT_CONSENT),
    _mutation("iss-disabled", oauth2={"COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": False}),
    _mutation("iss-success-only", Break.NO_ISS_ON_ERRORS),
    # Validate Trusted Applications Regularly
    _mutation("client-disabled-ignored", Break.DISABLED_CLIENT_USABLE),
    _mutation("unknown-client-fallback", Break.UNKNOWN_CLIENT_FALLBACK),
    # Avoid Token Reuse
    _mutation("code-not-client-bound", Break.CODE_NOT_CLIENT_BOUND),
    _mutation("code-not-client-bound-own-redirect", Break.CODE_NOT_CLIENT_BOUND, Break.TOKEN_REDIRECT_URI_OF_PRESENTER),
    _mutation("refresh-not-client-bound", Break.REFRESH_NOT_CLIENT_BOUND),
    # Handing a stored token out again needs it stored in plaintext.
    _mutation("token-reused", Break.TOKEN_REUSED, oauth2={"COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": False}),
    _mutation("revoke-cross-client", Break.REVOKE_ANY_CLIENT),
    # Pushed authorization requests and DPoP: the clean issuer offers both and requires neither.
    # PAR_REQUIRED (a `django` setting, mutants/par.py): metadata says require_pushed_authorization_requests.
    _mutation("par-request-uri-reusable", Break.PAR_REQUEST_URI_REUSABLE),
    _mutation("par-request-uri-any-client", Break.PAR_REQUEST_URI_ANY_CLIENT),
    _mutation("par-required-not-enforced", Break.PAR_REQUIRED_NOT_ENFORCED, django={"PAR_REQUIRED": True}),
    _mutation("par-required", django={"PAR_REQUIRED": True}),
    _mutation("dpop-bound-token-accepts-bearer", Break.DPOP_BOUND_TOKEN_ACCEPTS_BEARER),
    _mutation("dpop-proof-replay-accepted", Break.DPOP_PROOF_REPLAY_ACCEPTED),
    _mutation("dpop-htu-unchecked", Break.DPOP_HTU_UNCHECKED),
    _mutation("dpop-htm-unchecked", Break.DPOP_HTM_UNCHECKED),
    # The sign-in and consent pages, and what the authorization endpoint answers
    _mutation("frame-protection-off", Break.FRAME_PROTECTION_OFF),
    _mutation("referrer-policy-unsafe", django={"SECURE_REFERRER_POLICY": "unsafe-url"}),
    _mutation("referrer-policy-absent", django={"SECURE_REFERRER_POLICY": None}),
    _mutation("login-answers-307", Break.LOGIN_ANSWERS_307),
    _mutation("cors-authorize", Break.CORS_AUTHORIZE),
    _mutation("session-cookie-no-httponly", django={"SESSION_COOKIE_HTTPONLY": False}),
    _mutation("session-cookie-no-samesite", django={"SESSION_COOKIE_SAMESITE": None}),
    _mutation("session-cookie-not-secure", django={"SESSION_COOKIE_SECURE": False}),
    _mutation("tokens-in-query", *_PUBLIC_FRONT_CHANNEL, Break.TOKENS_IN_QUERY, oauth2=_IMPLICIT_GATE_OFF),
    # Codes, metadata and ID tokens
    _mutation("pkce-verifier-format-unchecked", Break.PKCE_VERIFIER_FORMAT_UNCHECKED),
    _mutation("code-lifetime-long", oauth2={"AUTHORIZATION_CODE_EXPIRE_SECONDS": 3600}),
    _mutation("metadata-issuer-mismatch", Break.METADATA_ISSUER_HTTP),
    _mutation("id-token-extra-aud-no-azp", Break.ID_TOKEN_EXTRA_AUD_NO_AZP),
    # c_hash and at_hash of the ID tokens the authorization endpoint hands out (the clean issuer
    # refuses the response types that do); hybrid-hashes-correct is the control twin.
    _mutation("hybrid-hashes-correct", *_PUBLIC_FRONT_CHANNEL, oauth2=_IMPLICIT_GATE_OFF),
    _mutation("hybrid-c-hash-wrong", *_PUBLIC_FRONT_CHANNEL, Break.C_HASH_WRONG, oauth2=_IMPLICIT_GATE_OFF),
    _mutation("hybrid-at-hash-missing", *_PUBLIC_FRONT_CHANNEL, Break.AT_HASH_MISSING, oauth2=_IMPLICIT_GATE_OFF),
    # Who may introspect and revoke, and which tokens the resources and userinfo take
    _mutation("introspection-open", Break.INTROSPECTION_OPEN),
    _mutation("revocation-unauthenticated", Break.REVOCATION_UNAUTHENTICATED),
    _mutation("resource-accepts-id-token", Break.RESOURCE_ACCEPTS_ID_TOKEN),
    _mutation("userinfo-accepts-id-token", Break.USERINFO_ACCEPTS_ID_TOKEN),
    _mutation("resource-b-any-audience", Break.RESOURCE_B_ANY_SCOPE),
    _mutation("resource-any-audience", Break.RESOURCE_ANY_SCOPE),
    # Broken answers, aimed at the harness's judgement rather than at one practice
    _mutation("refusal-200-empty", Break.REFUSAL_200_EMPTY),
    _mutation("refusal-with-token", Break.REFUSAL_WITH_TOKEN),
    _mutation("login-other-origin", django={"LOGIN_URL": f"https://localhost:{HTTPS_PORT}/m/login-other-origin/accounts/login/"}),
    _mutation("error-page-links-back", Break.ERROR_PAGE_LINKS_BACK),
    _mutation("waf-blocks-attacks", Break.WAF_BLOCKS_ATTACKS),
    _mutation("resource-open", Break.RESOURCE_OPEN),
]


# --- quirks ------------------------------------------------------------------------------------
# What a real, conforming vendor does differently from the clean issuer (../quirks.json says which
# vendors, and which probes each one touches). A quirk is switched on for `clean--QUIRK`, and for
# `MUTATION--QUIRK` for every mutation (expect fail) whose aims the quirk touches.


@dataclass(frozen=True)
class QuirkSpec:
    name: str
    quirks: frozenset = frozenset()
    oauth2: dict = field(default_factory=dict)
    django: dict = field(default_factory=dict)
    opt_out: frozenset = frozenset()


def _quirk(name, *quirks, **details):
    return QuirkSpec(name, frozenset(quirks), **details)


OFFLINE_ACCESS = "offline_access"
_OFFLINE_SCOPES = {**settings.OAUTH2_PROVIDER["SCOPES"], OFFLINE_ACCESS: "Stay signed in (refresh tokens)"}

QUIRKS = {
    spec.name: spec
    for spec in [
        _quirk("error-page-200", Quirk.ERROR_PAGE_200),
        _quirk("error-page-redirect", Quirk.ERROR_PAGE_REDIRECT),
        _quirk("error-page-other-origin", Quirk.ERROR_PAGE_OTHER_ORIGIN),
        _quirk("identity-scopes-refused", Quirk.IDENTITY_SCOPES_REFUSED),
        _quirk(
            "refresh-needs-offline-access",
            Quirk.REFRESH_NEEDS_OFFLINE_ACCESS,
            # The scope exists (and is listed in scopes_supported); every client may ask it
            # (mutants/quirks.py).
            oauth2={
                "SCOPES": _OFFLINE_SCOPES,
                "_SCOPES": list(_OFFLINE_SCOPES),
                "SCOPES_BACKEND_CLASS": "mutants.quirks.OfflineAccessScopes",
            },
        ),
        _quirk("password-mfa-required", Quirk.PASSWORD_MFA_REQUIRED),
        _quirk("resource-requires-kid", Quirk.RESOURCE_REQUIRES_KID),
        _quirk("script-session-cookie", Quirk.SCRIPT_SESSION_COOKIE),
        _quirk("consent-remembered", Quirk.CONSENT_REMEMBERED),
        _quirk("csp-frame-ancestors", Quirk.CSP_FRAME_ANCESTORS),
        _quirk("login-307-same-origin", Quirk.LOGIN_307_SAME_ORIGIN),
        _quirk("rate-limited", Quirk.RATE_LIMITED),
        _quirk("cold-start-503", Quirk.COLD_START_503),
        _quirk("session-forgotten-401", Quirk.SESSION_FORGOTTEN_401),
        _quirk("json-nulls", Quirk.JSON_NULLS),
        _quirk("jwks-no-kid", Quirk.JWKS_NO_KID),
        # The harness judges proof replay only where the target opts in (dpop_replay).
        _quirk("dpop-jti-not-tracked", Quirk.DPOP_JTI_NOT_TRACKED, opt_out=frozenset({"dpop_replay"})),
        _quirk("revocation-cascades", Quirk.REVOCATION_CASCADES),
    ]
}
QUIRK_MANIFEST = MANIFEST.with_name("quirks.json")


def combined(mutation, spec):
    """The issuer MUTATION--QUIRK (clean--QUIRK for the clean one): the mutation's breaks and
    deployment facts, the quirk's code paths, both override sets (the mutation's win)."""
    return Mutation(
        f"{mutation.name}--{spec.name}",
        mutation.breaks,
        oauth2={**spec.oauth2, **mutation.oauth2},
        django={**spec.django, **mutation.django},
        host=mutation.host,
        plain_listener=mutation.plain_listener,
        token_endpoint_origin=mutation.token_endpoint_origin,
        redirect_uri_match=mutation.redirect_uri_match,
        extra_redirect_uris=mutation.extra_redirect_uris,
        quirks=spec.quirks,
        quirk=spec.name,
        opt_out=spec.opt_out,
    )


def _touched(aim, touches):
    """Whether a probe variant (id or id[variant]) is among touches (an id matches its variants)."""
    return aim in touches or aim.split("[", 1)[0] in touches


def _combinations(manifest, quirk_manifest, mutations):
    issuers = []
    for entry in quirk_manifest:
        spec = QUIRKS[entry["name"]]
        issuers.append(combined(mutations["clean"], spec))
        excluded = set(entry.get("exclude", []))
        for mutation_entry in manifest:
            aims = mutation_entry["aims"]
            if mutation_entry["expect"] != "fail" or mutation_entry["name"] in excluded:
                continue
            if any(_touched(aim, entry["touches"]) for aim in aims):
                issuers.append(combined(mutations[mutation_entry["name"]], spec))
    return issuers


def _check_manifests(manifest, quirk_manifest, mutations):
    problems = []
    for label, path, names, known in (
        ("mutations", MANIFEST, [entry["name"] for entry in manifest], set(mutations)),
        ("quirks", QUIRK_MANIFEST, [entry["name"] for entry in quirk_manifest], set(QUIRKS)),
    ):
        if len(names) != len(set(names)) or set(names) != known:
            problems.append(
                f"{path} and mutants/registry.py disagree on the {label}: only in the manifest "
                f"{sorted(set(names) - known)}, only in the registry {sorted(known - set(names))}"
                + (", duplicate names in the manifest" if len(names) != len(set(names)) else "")
            )
    for entry in quirk_manifest:
        unknown = set(entry.get("exclude", [])) - set(mutations)
        if unknown:
            problems.append(f"{QUIRK_MANIFEST}: {entry['name']} excludes unknown mutations {sorted(unknown)}")
        if entry.get("exclude") and not entry.get("exclude_why"):
            problems.append(f"{QUIRK_MANIFEST}: {entry['name']} excludes without exclude_why")
        if not entry.get("touches"):
            problems.append(f"{QUIRK_MANIFEST}: {entry['name']} touches nothing")
        if any("--" in name for name in (entry["name"],)):
            problems.append(f"{QUIRK_MANIFEST}: {entry['name']}: a quirk name cannot contain --")
    if any("--" in name for name in mutations):
        problems.append("a mutation name cannot contain --")
    if problems:
        raise RuntimeError("; ".join(problems))


def _load():
    manifest = json.loads(MANIFEST.read_text())
    quirk_manifest = json.loads(QUIRK_MANIFEST.read_text())
    mutations = {mutation.name: mutation for mutation in MUTATIONS}
    _check_manifests(manifest, quirk_manifest, mutations)
    return [*MUTATIONS, *_combinations(manifest, quirk_manifest, mutations)]


# Every issuer: the mutations in their order (clean first), then per quirk clean--QUIRK and its
# combinations in the manifest's order.
ISSUERS = _load()
REGISTRY = {issuer.name: issuer for issuer in ISSUERS}
CLEAN = REGISTRY["clean"]

# The issuer serving the current request (set by mutants/wsgi.py); the clean one outside requests
# (management commands).
_CURRENT = contextvars.ContextVar("mutant_issuer", default=CLEAN)


def current():
    return _CURRENT.get()


def on(broken):
    return broken in _CURRENT.get().breaks


def on_quirk(quirk):
    return quirk in _CURRENT.get().quirks


def serving(mutation):
    """Makes `mutation` the current issuer; returns the token for reset()."""
    return _CURRENT.set(mutation)


def reset(token):
    _CURRENT.reset(token)
