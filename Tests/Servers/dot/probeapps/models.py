"""The swapped DOT application model (OAUTH2_PROVIDER_APPLICATION_MODEL).

DOT has no "disabled" flag and no per-application scope list; both are added here.
The model is swapped in before the first migrate (migration 0001 runs before
oauth2_provider 0001), as DOT's documentation requires.
"""

from django.db import models
from oauth2_provider.models import AbstractApplication


class ProbeApplication(AbstractApplication):
    enabled = models.BooleanField(
        default=True,
        help_text="A disabled application is refused at every endpoint (is_usable()).",
    )
    allowed_scopes = models.TextField(
        blank=True,
        default="",
        help_text="Space separated scopes this application may obtain "
        "(used by dotserver.scopes.PerApplicationScopes; ignored by the permissive mode).",
    )

    def is_usable(self, request):
        return self.enabled
