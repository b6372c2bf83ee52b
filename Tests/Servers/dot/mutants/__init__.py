"""The mutant reference server: one django-oauth-toolkit deployment, one issuer per mutation.

See Tests/Servers/dot/README.md ("The mutant deployment") and mutants/registry.py.
"""
