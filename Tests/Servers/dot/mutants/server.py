"""OAUTH2_SERVER_CLASS: oauthlib's OpenID Connect server, with the grant- and endpoint-level mutations.

Some breaks live in oauthlib's grant and endpoint objects rather than in DOT's validator: what an
authorization code response carries, how a PKCE verifier is compared, whether a redirect_uri
must be a well-formed absolute URI before it is compared, where an implicit or hybrid answer
puts its tokens, how the revocation endpoint checks its client, and which tokens userinfo takes.
The clean issuer adds one thing here: oauthlib honours response_mode=query whatever the answer
carries; implicit and hybrid answers go in the fragment all the same. DOT builds this server per
request (ALWAYS_RELOAD_OAUTHLIB_CORE), so the current issuer decides at construction.
"""

import functools

from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.grant_types.base import GrantTypeBase
from oauthlib.oauth2.rfc6749.tokens import BearerToken, get_token_from_header
from oauthlib.openid import Server

from .registry import Break, on


def _add_access_token(grant, token_handler, request):
    """A code modifier: put an access token next to the code (oauthlib then saves it)."""
    if "access_token" not in grant:
        grant.update(token_handler.create_token(request, refresh_token=False))
    return grant


def _handle_redirects_unchecked(grant, request):
    """oauthlib's redirect_uri handling without its URI syntax check (which refuses userinfo and
    fragments): the validator's comparison is all there is."""
    if request.redirect_uri is None:
        return GrantTypeBase._handle_redirects(grant, request)
    request.using_default_redirect_uri = False
    if not grant.request_validator.validate_redirect_uri(request.client_id, request.redirect_uri, request):
        raise errors.MismatchingRedirectURIError(request=request)


def _any_verifier(verifier, challenge):
    """A PKCE method that only asks for a verifier to be there."""
    return bool(verifier)


def _fragment_for_tokens(grant, request, token, headers, body, status):
    """An implicit or hybrid answer in the fragment even when response_mode=query is asked: tokens
    never go in a query (Multiple Response Type Encoding Practices §2.1, OIDC Core §3.3.2.5)."""
    if request.response_mode == "query":
        request.response_mode = "fragment"
    return type(grant).prepare_authorization_response(grant, request, token, headers, body, status)


class _BearerOrIdToken(BearerToken):
    """USERINFO_ACCEPTS_ID_TOKEN: userinfo's token check, which also takes an ID token of the issuer."""

    def validate_request(self, request):
        return super().validate_request(request) or self.request_validator.validate_issuer_id_token(
            get_token_from_header(request), request.scopes, request
        )


class IssuerServer(Server):
    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        # The OAuth 2 code grant, and the ones the OpenID code and hybrid grants delegate to.
        code_grants = [self.auth_grant, self.openid_connect_auth.proxy_target, self.openid_connect_hybrid.proxy_target]
        for grant in code_grants:
            if on(Break.TOKEN_IN_CODE_RESPONSE):
                grant.register_code_modifier(_add_access_token)
            if on(Break.PKCE_VERIFIER_UNCHECKED):
                grant._code_challenge_methods = {method: _any_verifier for method in grant._code_challenge_methods}
        if on(Break.REDIRECT_URI_SYNTAX_UNCHECKED):
            authorizing_grants = [*code_grants, self.implicit_grant, self.openid_connect_implicit.proxy_target]
            for grant in authorizing_grants:
                grant._handle_redirects = functools.partial(_handle_redirects_unchecked, grant)
        if not on(Break.TOKENS_IN_QUERY):
            # The grants that answer implicit and hybrid requests (the hybrid grant's own code grant).
            token_grants = [self.implicit_grant, self.openid_connect_implicit.proxy_target, self.openid_connect_hybrid.proxy_target]
            for grant in token_grants:
                grant.prepare_authorization_response = functools.partial(_fragment_for_tokens, grant)
        if on(Break.USERINFO_ACCEPTS_ID_TOKEN):
            # The userinfo endpoint's own token type (the token and resource endpoints keep theirs).
            self.bearer = _BearerOrIdToken(request_validator)

    def _raise_on_invalid_client(self, request):
        # oauthlib's client check of the revocation endpoint (and of its introspection endpoint,
        # which DOT does not serve).
        if not on(Break.REVOCATION_UNAUTHENTICATED):
            return super()._raise_on_invalid_client(request)
        # Whoever names a client is that client: a secret, if one is sent, is never compared.
        validator = self.request_validator
        if validator._load_application(validator._presented_client_id(request), request) is None:
            raise errors.InvalidClientError(request=request)
