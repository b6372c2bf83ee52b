"""DPoP (RFC 9449) for every issuer: proofs at the token endpoint, access tokens bound to the proof's
key, and resources that then demand a proof of that key with the token.

Token endpoint (token_view): a request with a DPoP header has its proof checked (section 4.3); a
valid one binds the access token issued to the key's JWK thumbprint (the JWT access token carries
cnf.jkt, section 6.1, mutants/tokens.py) and the answer says token_type DPoP (section 5). Without the
header nothing changes: a bearer token, as every other probe expects.

Resources (resource_view: /api/me and userinfo): a token bound to a key is taken only with the
DPoP scheme and a valid proof of that key that carries the token's hash (section 7.1); the
proof's jti is remembered for its target URI while its iat is acceptable, so a proof is taken once
(section 11.1). A bound token sent as a bearer token is refused (section 7.2); so is the DPoP scheme
with a token bound to no key or another key. DOT itself knows the bearer scheme only: a request that
passes these checks reaches it as Bearer.

The mutations (mutants/registry.py) each skip one check: DPOP_HTU_UNCHECKED, DPOP_HTM_UNCHECKED,
DPOP_PROOF_REPLAY_ACCEPTED, DPOP_BOUND_TOKEN_ACCEPTS_BEARER.
"""

import base64
import binascii
import functools
import hashlib
import json
import time
from contextvars import ContextVar
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from .records import DPoPProofUse
from .registry import Break, Quirk, current, on, on_quirk


ALGORITHMS = ("ES256", "RS256")
# Section 4.3 check 11: how old a proof's iat may be, and how far ahead of this clock, in seconds.
# A jti is remembered a little longer than a proof stays acceptable.
IAT_PAST, IAT_FUTURE = 300, 60
JTI_MEMORY = IAT_PAST + IAT_FUTURE + 60

# The thumbprint the access token being issued is bound to (None: a bearer token), for the token
# generator (mutants/tokens.py). Set while the token view runs; gunicorn's sync workers serve one
# request at a time.
_BINDING = ContextVar("dpop_binding", default=None)


class ProofError(Exception):
    """Why a DPoP proof is refused, in words for error_description."""


def binding():
    """The JWK thumbprint the access token being issued is bound to, or None (a bearer token)."""
    return _BINDING.get()


def bound_key(claims):
    """cnf.jkt of JWT access token claims, or None."""
    confirmation = claims.get("cnf") if isinstance(claims, dict) else None
    return confirmation.get("jkt") if isinstance(confirmation, dict) else None


def _b64json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims_of(token):
    """The claims of a compact JWS, unverified; {} for anything else (an opaque token)."""
    try:
        _header, payload, _signature = token.split(".")
        claims = _b64json(payload)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _normalised(uri):
    """A URI without query and fragment, scheme and host lower-cased, the default port dropped
    (RFC 3986 sections 6.2.2 and 6.2.3, as section 4.3 check 9 asks)."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port is not None and {"https": 443, "http": 80}.get(scheme) != port:
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


def check_proof(request, access_token=None):
    """The JWK thumbprint of the key that signed the request's valid DPoP proof (section 4.3), with
    its jti now remembered; ProofError otherwise. access_token: at a resource, the token the proof
    must carry the hash of (ath)."""
    proof = request.META.get("HTTP_DPOP", "").strip()
    if not proof or "," in proof:
        raise ProofError("exactly one DPoP header is required")
    try:
        header_segment, payload_segment, _signature = proof.split(".")
        header, claims = _b64json(header_segment), _b64json(payload_segment)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ProofError("the DPoP proof is not a JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ProofError("the DPoP proof is not a JWT")
    if header.get("typ") != "dpop+jwt":
        raise ProofError("the DPoP proof's typ is not dpop+jwt")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise ProofError(f"the DPoP proof's alg is not one of {', '.join(ALGORITHMS)}")
    try:
        key = jwk.JWK(**header["jwk"])
    except (KeyError, TypeError, ValueError, JWException):
        raise ProofError("the DPoP proof's header has no usable public jwk") from None
    if key.has_private:
        raise ProofError("the DPoP proof's jwk holds a private key")
    try:
        signed = jws.JWS()
        signed.deserialize(proof)
        signed.verify(key, alg=algorithm)
    except (JWException, ValueError, TypeError):
        raise ProofError("the DPoP proof's signature does not verify with its jwk") from None
    for claim in ("jti", "htm", "htu", "iat"):
        if claim not in claims:
            raise ProofError(f"the DPoP proof has no {claim}")
    if not on(Break.DPOP_HTM_UNCHECKED) and claims["htm"] != request.method:
        raise ProofError("the DPoP proof's htm is not this request's method")
    target = _normalised(request.build_absolute_uri(request.path))
    if not on(Break.DPOP_HTU_UNCHECKED) and (not isinstance(claims["htu"], str) or _normalised(claims["htu"]) != target):
        raise ProofError("the DPoP proof's htu is not this request's URL")
    issued_at = claims["iat"]
    now = time.time()
    if not isinstance(issued_at, (int, float)) or not now - IAT_PAST <= issued_at <= now + IAT_FUTURE:
        raise ProofError("the DPoP proof's iat is not within the acceptable window")
    if access_token is not None and claims.get("ath") != _b64url(hashlib.sha256(access_token.encode("ascii", "replace")).digest()):
        raise ProofError("the DPoP proof's ath is not the hash of the access token")
    # RFC 9449 §11.1 leaves tracking to the server: the quirk DPOP_JTI_NOT_TRACKED, the mutation
    # DPOP_PROOF_REPLAY_ACCEPTED.
    if not on(Break.DPOP_PROOF_REPLAY_ACCEPTED) and not on_quirk(Quirk.DPOP_JTI_NOT_TRACKED):
        _remember(str(claims["jti"]), target)
    return key.thumbprint()


def _remember(jti, target):
    """Section 11.1: a jti is accepted once per target URI while proofs with it could be accepted."""
    DPoPProofUse.objects.filter(seen__lt=timezone.now() - timedelta(seconds=JTI_MEMORY)).delete()
    key = hashlib.sha256(f"{current().name}\0{target}\0{jti}".encode()).hexdigest()
    try:
        with transaction.atomic():
            DPoPProofUse.objects.create(key=key)
    except IntegrityError:
        raise ProofError("the DPoP proof was used before (its jti is known)") from None


def _json(status, error, description, **headers):
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _challenge(error, description):
    """Section 7.1: 401 with a DPoP challenge naming the error and the algorithms taken."""
    algorithms = " ".join(ALGORITHMS)
    return _json(401, error, description,
                 WWW_Authenticate=f'DPoP error="{error}", error_description="{description}", algs="{algorithms}"')


def token_view(view):
    """The token endpoint with DPoP: a proof checked, the token bound and typed DPoP."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST" or "HTTP_DPOP" not in request.META:
            return view(request, *args, **kwargs)
        try:
            thumbprint = check_proof(request)
        except ProofError as error:
            return _json(400, "invalid_dpop_proof", str(error))
        reset = _BINDING.set(thumbprint)
        try:
            response = view(request, *args, **kwargs)
        finally:
            _BINDING.reset(reset)
        if response.status_code == 200:
            body = json.loads(response.content)
            if "access_token" in body:
                body["token_type"] = "DPoP"
                response.content = json.dumps(body).encode()
        return response

    return wrapped


def resource_view(view):
    """A protected resource that honours DPoP bindings (section 7)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        scheme, token = scheme.lower(), token.strip()
        if scheme == "dpop" and token:
            try:
                thumbprint = check_proof(request, access_token=token)
            except ProofError as error:
                return _challenge("invalid_dpop_proof", str(error))
            if bound_key(_claims_of(token)) != thumbprint:
                return _challenge("invalid_token", "the access token is not bound to the DPoP proof's key")
            # Proof and binding hold: DOT looks the token up as it does any bearer token.
            request.META["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        elif scheme == "bearer" and bound_key(_claims_of(token)) and not on(Break.DPOP_BOUND_TOKEN_ACCEPTS_BEARER):
            return _challenge("invalid_token", "a DPoP-bound access token needs the DPoP scheme and a proof")
        return view(request, *args, **kwargs)

    return wrapped


def metadata():
    """What the metadata documents say of DPoP (section 5.1)."""
    return {"dpop_signing_alg_values_supported": list(ALGORITHMS)}
