"""The benchmark server: the deploy settings, plus views the real site must not have.

The harness writes the config.json (BROADSHEET_CONFIG) pointing at a
benchmark database; everything else is production's configuration.
"""

import os

from project.settings.deploy import *  # noqa: F403
from project.settings.deploy import BASE_DIR, MIDDLEWARE, TEMPLATES

# The real URLs, plus the chapter's naive list for comparison (tests/bench/urls.py).
ROOT_URLCONF = "tests.bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "tests" / "bench" / "templates"]
STATIC_ROOT = BASE_DIR / "bench-results" / "static"

if os.environ.get("BENCH_DJANGO_SITE_CACHE") == "1":
    # The baseline a user would reach for instead of the pipeline: Django's own
    # per-site cache around the uncached site, whole responses in the same Redis.
    CACHE_ENABLED = False
    MIDDLEWARE = [
        "django.middleware.cache.UpdateCacheMiddleware",
        *(name for name in MIDDLEWARE if name != "apps.caching.pipeline.PageCacheMiddleware"),
        "django.middleware.cache.FetchFromCacheMiddleware",
    ]
    CACHE_MIDDLEWARE_SECONDS = 60

# Locust renders cold pages from one loopback address: the budget of renders
# per client (docs/security.md) is for the internet, not the load generator.
PAGE_MISSES_PER_CLIENT = 1_000_000
