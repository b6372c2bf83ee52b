from django.apps import AppConfig


class MutantsConfig(AppConfig):
    name = "mutants"
    verbose_name = "oauthprobe mutant issuers"

    def ready(self):
        from . import overlay

        overlay.install()
