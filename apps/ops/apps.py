from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "apps.ops"

    def ready(self):
        from .server_timing import instrument_template_rendering

        instrument_template_rendering()
