"""The password hasher of the mutant deployment: PBKDF2 with few rounds.

Django hashes client secrets and passwords with a million PBKDF2 rounds, about half a second of
CPU per client authentication here. The kill matrix authenticates clients thousands of times on
72 issuers, and nothing it judges depends on what a hash costs, so this deployment spends less.
The hardened and permissive deployments keep Django's default: their load is what scripts/bench
measures.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1_000
