from django.apps import AppConfig


class ProbeAppsConfig(AppConfig):
    name = "probeapps"
    verbose_name = "oauthprobe fixture applications"
