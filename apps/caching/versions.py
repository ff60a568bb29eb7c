"""The list version: a generation token that is part of every outer (list)
fragment key and of every page's ETag.

Bumping it makes every list miss at once without deleting a key (the old
fragments age out of the LRU cache), the way djangoproject.com invalidates its
dashboard. A token rather than a counter: a bump is a plain SET (no read,
nothing to race), a fresh value can never repeat an evicted one, and it carries
its time, which becomes the pages' Last-Modified.
"""

import time
import uuid
from datetime import UTC, datetime

from django.core.cache import cache

from apps.core.replicas import wait_for_replicas

from .keys import LIST_VERSION_KEY
from .recent import recent_responses


def new_version_token():
    return f"{time.time_ns() // 1_000_000}-{uuid.uuid4().hex[:8]}"


def list_version():
    """The current token, created on first use; None when the cache is down."""
    token = cache.get(LIST_VERSION_KEY)
    if token is None:
        cache.add(LIST_VERSION_KEY, new_version_token(), timeout=None)
        token = cache.get(LIST_VERSION_KEY)
    return token


def bump_list_version():
    """Make every list fragment and page validator stale. Call on commit."""
    # A reader who misses on the new version must find the new rows on a replica too.
    wait_for_replicas()
    cache.set(LIST_VERSION_KEY, new_version_token(), timeout=None)
    recent_responses.clear()


def version_timestamp(token):
    """When the token was made, as an aware datetime (for Last-Modified)."""
    milliseconds = int(token.split("-", 1)[0])
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
