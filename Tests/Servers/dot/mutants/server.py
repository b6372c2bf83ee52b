"""OAUTH2_SERVER_CLASS: oauthlib's OpenID Connect server, with the grant-level mutations.

Three breaks live in oauthlib's grant objects rather than in DOT's validator: what an
authorization code response carries, how a PKCE verifier is compared, and whether a redirect_uri
must be a well-formed absolute URI before it is compared. DOT builds this server per request
(ALWAYS_RELOAD_OAUTHLIB_CORE), so the current issuer decides at construction.
"""

import functools

from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.grant_types.base import GrantTypeBase
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
