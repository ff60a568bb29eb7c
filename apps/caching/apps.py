from django.apps import AppConfig


class CachingConfig(AppConfig):
    name = "apps.caching"
