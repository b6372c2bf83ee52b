"""Per-application scopes for the hardened mode.

DOT's SettingsScopes offers every scope in OAUTH2_PROVIDER["SCOPES"] to every client.
This backend narrows it to the application's ``allowed_scopes`` field.
"""

from oauth2_provider.scopes import SettingsScopes
from oauth2_provider.settings import oauth2_settings


class PerApplicationScopes(SettingsScopes):
    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        all_scopes = oauth2_settings._SCOPES
        if application is None:
            # Discovery documents ask without an application: list what exists.
            return list(all_scopes)
        allowed = set((getattr(application, "allowed_scopes", "") or "").split())
        return [scope for scope in all_scopes if scope in allowed]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        defaults = oauth2_settings._DEFAULT_SCOPES
        if application is None:
            return list(defaults)
        available = set(self.get_available_scopes(application, request))
        return [scope for scope in defaults if scope in available]
