"""Tests run against the same real services as local development, kept apart:
their own Redis databases, their own bucket, their own Postgres database
(pytest-django creates test_broadsheet)."""

from .base import *  # noqa: F403
from .base import CACHES, LOCAL_SERVICES, PIPELINE

DEBUG = False

CACHES["default"]["LOCATION"] = LOCAL_SERVICES["CACHE_URL"].rsplit("/", 1)[0] + "/1"
CACHES["default"]["KEY_PREFIX"] = "broadsheet-test"
CELERY_BROKER_URL = LOCAL_SERVICES["BROKER_URL"].rsplit("/", 1)[0] + "/1"

AWS_STORAGE_BUCKET_NAME = LOCAL_SERVICES["S3_TEST_BUCKET"]
MEDIA_URL = f"{AWS_S3_ENDPOINT_URL}/{AWS_STORAGE_BUCKET_NAME}/"

PIPELINE["PIPELINE_ENABLED"] = False

# Hashing passwords slowly protects real accounts, not test fixtures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
