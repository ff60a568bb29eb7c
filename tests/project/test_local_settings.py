"""local.py.example: what `make` copies to local.py on a developer's machine."""

import importlib.machinery
import importlib.util
from pathlib import Path

from debug_toolbar.settings import PANELS_DEFAULTS

from project.settings import base

EXAMPLE_PATH = Path(base.BASE_DIR) / "project" / "settings" / "local.py.example"


def load_local_example():
    # The .example suffix hides the file from imports; load it as the source it is.
    loader = importlib.machinery.SourceFileLoader("project.settings.local_example", str(EXAMPLE_PATH))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_local_settings_cache_with_redis_exactly_like_production():
    local = load_local_example()
    assert local.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert local.CACHE_ENABLED is True
    assert local.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_debug_toolbar_is_on_locally_with_the_panels_the_chapter_asks_for():
    local = load_local_example()
    assert "debug_toolbar" in local.INSTALLED_APPS
    assert local.MIDDLEWARE[0] == "debug_toolbar.middleware.DebugToolbarMiddleware"
    # Page time, SQL count with time and origin of each query, templates, cache hits and misses.
    for panel in ["timer.TimerPanel", "sql.SQLPanel", "templates.TemplatesPanel", "cache.CachePanel"]:
        assert f"debug_toolbar.panels.{panel}" in PANELS_DEFAULTS
    assert "DISABLE_PANELS" not in local.DEBUG_TOOLBAR_CONFIG


def test_debug_toolbar_is_never_in_the_shared_settings():
    assert "debug_toolbar" not in base.INSTALLED_APPS
    assert not any("debug_toolbar" in middleware for middleware in base.MIDDLEWARE)
