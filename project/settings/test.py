"""Tests run against the same real services as local development, kept apart:
their own Redis databases, their own bucket, their own Postgres database
(pytest-django creates test_broadsheet)."""

import os

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, LOCAL_SERVICES, PIPELINE

DEBUG = False
# The test client's host, so absolute URLs in tests read like the requests.
SITE_URL = "http://testserver"

# Two test runs on one machine (two developers' sessions, or a run beside the
# benchmark) each take their own slot: database, Redis databases.
TEST_SLOT = int(os.environ.get("BROADSHEET_TEST_SLOT", "1"))

DATABASES["default"]["TEST"] = {"NAME": f"test_broadsheet_{TEST_SLOT}"}
# A mirror only so that Django never creates, migrates or flushes a database on
# the read-only standby; tests/conftest.py points it back at the real replica,
# which streams the test database the primary holds.
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
CACHES["default"]["LOCATION"] = LOCAL_SERVICES["CACHE_URL"].rsplit("/", 1)[0] + f"/{TEST_SLOT}"
CACHES["default"]["KEY_PREFIX"] = "broadsheet-test"
CELERY_BROKER_URL = LOCAL_SERVICES["BROKER_URL"].rsplit("/", 1)[0] + f"/{TEST_SLOT}"

AWS_STORAGE_BUCKET_NAME = LOCAL_SERVICES["S3_TEST_BUCKET"]
AWS_MEDIA_MIRROR_BUCKET_NAME = LOCAL_SERVICES["S3_TEST_MIRROR_BUCKET"]
MEDIA_URL = f"{AWS_S3_ENDPOINT_URL}/{AWS_STORAGE_BUCKET_NAME}/"

# Bundle names only: {% stylesheet %} links css/site.min.css without reading or
# copying files, which unbundled mode would try to do into the absent STATIC_ROOT.
PIPELINE["PIPELINE_ENABLED"] = True

# Hashing passwords slowly protects real accounts, not test fixtures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests never collect static files; finders serve them, so whitenoise has no
# collected directory to index (and nothing to warn about).
STATIC_ROOT = None

# Tests flood pages from one address on purpose (made-up cursors, spellings);
# tests/caching/test_miss_budget.py sets the budget of renders it checks.
PAGE_MISSES_PER_CLIENT = 100_000
