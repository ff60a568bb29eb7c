"""Every test runs against the real services `make test` starts: PostgreSQL,
the Redis cache and broker, and the S3 endpoint. Nothing here is mocked."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with a cold cache (the test Redis database only)."""
    cache.clear()
    yield
    cache.clear()
