"""The benchmark server: the deploy settings, plus views the real site must not have.

The harness writes the config.json (BROADSHEET_CONFIG) pointing at a
benchmark database; everything else is production's configuration.
"""

from project.settings.deploy import *  # noqa: F403
from project.settings.deploy import BASE_DIR, TEMPLATES

# The real URLs, plus the chapter's naive list for comparison (tests/bench/urls.py).
ROOT_URLCONF = "tests.bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "tests" / "bench" / "templates"]
STATIC_ROOT = BASE_DIR / "bench-results" / "static"
