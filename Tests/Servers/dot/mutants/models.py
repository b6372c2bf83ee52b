"""What the clean issuer remembers beyond DOT's own tables.

DOT deletes an authorization code when it is redeemed and keeps no link from a code to the tokens
it produced, so a replayed code is refused but its tokens live on. CodeRedemption keeps that link,
so that a replay revokes them (RFC 6749 §4.1.2, RFC 9700 §4.5).

JwtAccessToken ties a JWT access token's jti to its row: the resources of the mutations that read
JWTs themselves look a token up by jti, so a revoked token (a deleted row) is refused there too.
"""

from django.db import models
from oauth2_provider.settings import oauth2_settings


class CodeRedemption(models.Model):
    code_checksum = models.CharField(max_length=64, unique=True)  # SHA-256 of the code
    access_token = models.ForeignKey(
        oauth2_settings.ACCESS_TOKEN_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The refresh token family the redemption started (None for a public client, which gets no
    # refresh token): revoking the family reaches tokens refreshed since.
    token_family = models.UUIDField(null=True)
    created = models.DateTimeField(auto_now_add=True)


class JwtAccessToken(models.Model):
    jti = models.CharField(max_length=64, unique=True)
    access_token = models.OneToOneField(
        oauth2_settings.ACCESS_TOKEN_MODEL, on_delete=models.CASCADE, related_name="+"
    )


# What pushed authorization requests, DPoP proofs and the quirks leave behind, in a module of their own that
# mutants/par.py and mutants/dpop.py import directly (see mutants/records.py).
from .records import DPoPProofUse, PushedAuthorizationRequest, QuirkRecord  # noqa: E402,F401
