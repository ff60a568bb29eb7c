from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "apps.blog"

    def ready(self):
        from . import signals  # noqa: F401 - connects the key-based expiration receivers
