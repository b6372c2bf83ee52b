"""Write one oauthprobe target file per issuer into state/targets/<name>.yaml (run by setup.sh).

From targets/mutant.yaml.in: the issuer's base URL, its endpoints and policy opt-ins, for every
issuer (mutations, clean--QUIRK and MUTATION--QUIRK, mutants/registry.py ISSUERS). Revocation and
introspection are always listed (DOT's OpenID discovery document has neither); the token endpoint
too when the issuer's metadata advertises another one (the probes must see that, the other
requests must reach the real endpoint). Files of issuers that no longer exist are removed.
state/targets/issuers.txt lists every issuer's file, in the registry's order.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from mutants.registry import ISSUERS


TEMPLATE = Path(settings.BASE_DIR) / "targets" / "mutant.yaml.in"
TARGETS = Path(settings.STATE_DIR) / "targets"
# policy.opt_in of every issuer, less what its quirk opts out of (Mutation.opt_out).
OPT_IN = ("secret_in_query", "slow", "dpop_replay")


def render(template, mutation):
    endpoints = {}
    if mutation.token_endpoint_origin:
        endpoints["token"] = f"{mutation.issuer}/token/"
    endpoints["revocation"] = f"{mutation.issuer}/revoke_token/"
    endpoints["introspection"] = f"{mutation.issuer}/introspect/"
    lines = "\n".join(f"  {kind}: {url}" for kind, url in endpoints.items())
    opt_in = ", ".join(entry for entry in OPT_IN if entry not in mutation.opt_out)
    return (
        template.replace("@NAME@", mutation.name)
        .replace("@BASE@", mutation.base)
        .replace("@ENDPOINTS@", lines)
        .replace("@OPT_IN@", opt_in)
    )


class Command(BaseCommand):
    help = "Write the mutant issuers' target files into state/targets/."

    def handle(self, *args, **options):
        template = TEMPLATE.read_text()
        TARGETS.mkdir(exist_ok=True)
        wanted = set()
        for mutation in ISSUERS:
            path = TARGETS / f"{mutation.name}.yaml"
            wanted.add(path)
            text = render(template, mutation)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
        for stale in set(TARGETS.glob("*.yaml")) - wanted:
            stale.unlink()
        # Every issuer's file name, one a line, in the registry's order: the mutations as in
        # mutants.json (clean first), then per quirk clean--QUIRK and its MUTATION--QUIRK issuers.
        index = TARGETS / "issuers.txt"
        listing = "".join(f"{mutation.name}.yaml\n" for mutation in ISSUERS)
        if not index.exists() or index.read_text() != listing:
            index.write_text(listing)
