"""What pushed authorization requests (mutants/par.py), DPoP proofs (mutants/dpop.py) and the quirks
(mutants/quirks.py) leave behind.

A module of its own, imported by mutants/models.py (so Django and its migrations know the models) and
directly by par.py and dpop.py: a gunicorn that preloaded an older models.py still defines them
when a fresh worker first imports those modules.
"""

from django.db import models


class PushedAuthorizationRequest(models.Model):
    """RFC 9126: the parameters a client pushed, until its request_uri is presented (mutants/par.py)."""

    reference = models.CharField(max_length=64, unique=True)  # the random part of the request_uri
    issuer = models.CharField(max_length=64)  # the issuer (mutation name) that took it
    client_id = models.CharField(max_length=100)
    parameters = models.TextField()  # JSON: [[name, value], ...]
    expires = models.DateTimeField()
    used = models.BooleanField(default=False)
    # Where PAR is required: the consent form answered the request it resolved to (once).
    consented = models.BooleanField(default=False)


class DPoPProofUse(models.Model):
    """RFC 9449 section 11.1: a DPoP proof's jti, seen at one target URI (mutants/dpop.py)."""

    key = models.CharField(max_length=64, unique=True)  # SHA-256 of issuer, target URI and jti
    seen = models.DateTimeField(auto_now_add=True, db_index=True)


class QuirkRecord(models.Model):
    """What the quirks (mutants/quirks.py) count and remember across the gunicorn workers: requests
    per issuer and endpoint (rate limits, a flushed session), clients seen (a cold start), consents
    given, codes issued for offline access."""

    key = models.CharField(max_length=64, unique=True)  # SHA-256 of what is counted or remembered
    count = models.IntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
