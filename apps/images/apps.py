from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "apps.images"
