"""JWT access tokens: made by the token endpoint, read by the resources that verify them themselves.

jwt_access_token is DOT's ACCESS_TOKEN_GENERATOR: the token string is an RS256 JWT (RFC 9068
shape) signed with the deployment's OIDC key. DOT stores it like an opaque token (hashed) and the
clean resource looks it up, so an altered, forged or revoked token is refused there.
read_access_token is for the resources that check a JWT themselves instead (RESOURCE_JWT_*).
"""

import base64
import binascii
import json
import time
import uuid

from jwcrypto import jws, jwt
from jwcrypto.common import JWException
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

from . import dpop
from .registry import current


def _signing_key():
    return jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY)


def jwt_access_token(request):
    """oauthlib token generator: called with the oauthlib request once expires_in is set on it."""
    issued_at = int(time.time())
    client_id = request.client.client_id if request.client else request.client_id
    user = request.user
    claims = {
        "iss": current().issuer,
        "sub": str(user.pk) if user else client_id,
        "aud": current().resource_url,
        "client_id": client_id,
        "scope": " ".join(request.scopes or []),
        "iat": issued_at,
        "exp": issued_at + int(request.expires_in),
        "jti": uuid.uuid4().hex,
    }
    if dpop.binding():
        claims["cnf"] = {"jkt": dpop.binding()}  # RFC 9449 section 6.1: bound to the DPoP proof's key
    key = _signing_key()
    token = jwt.JWT(header={"alg": "RS256", "typ": "at+jwt", "kid": key.thumbprint()}, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


def _b64json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def unverified_parts(token):
    """(header, claims) of a compact JWS, not verified; None when it is not one."""
    try:
        header, payload, _signature = token.split(".")
        header, claims = _b64json(header), _b64json(payload)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims


def read_access_token(token, *, verify_signature, accept_alg_none):
    """The claims of a live JWT access token of the current issuer, or None.

    verify_signature=False skips the signature entirely; accept_alg_none=True lets a token whose
    header says alg none through unsigned (the classic library misuse). exp and iss are checked.
    """
    parts = unverified_parts(token)
    if parts is None:
        return None
    header, claims = parts
    if header.get("alg") == "none":
        if not accept_alg_none:
            return None
    elif verify_signature:
        signed = jws.JWS()
        try:
            signed.deserialize(token)
            signed.verify(_signing_key(), alg="RS256")
        except (JWException, ValueError):
            return None
    expires = claims.get("exp")
    if claims.get("iss") != current().issuer or not isinstance(expires, int) or expires <= time.time():
        return None
    return claims
