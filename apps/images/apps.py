from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "apps.images"

    def ready(self):
        from .signals import connect_thumbnail_signals

        connect_thumbnail_signals()
