"""Invalidation, in one place: the list version and the editorial flush.

The list version is a generation token that every entry depending on the lists
is stamped with (apps/caching/pipeline.py). Bumping it makes every list, whole
response and cached row count as absent at once, without deleting a key (the
way djangoproject.com invalidates its dashboard). A token rather than a
counter: a bump is a plain SET (no read, nothing to race), a fresh value never
repeats an evicted one, and it carries its time, which becomes the pages'
Last-Modified.

Signals, admin actions and scheduled publishing all call expire_lists_on_commit():
the bump waits for the commit, or a reader rendering in between would store
the old rows under the new version.
"""

import time
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from apps.replicas.health import wait_for_replicas

from .keys import LIST_VERSION_KEY, page_flushed_key
from .process_cache import process_cache


def new_version_token():
    return f"{time.time_ns() // 1_000_000}-{uuid.uuid4().hex[:8]}"


def list_version():
    """The current token, created on first use; None when the cache is down."""
    token = cache.get(LIST_VERSION_KEY)
    if token is None:
        cache.add(LIST_VERSION_KEY, new_version_token(), timeout=None)
        token = cache.get(LIST_VERSION_KEY)
    return token


def version_timestamp(token):
    """When the token was made, as an aware datetime (for Last-Modified)."""
    milliseconds = int(token.split("-", 1)[0])
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


def bump_list_version():
    """Make every list, whole response and cached row stale now."""
    # A reader who misses under the new version must find the new rows on a replica too.
    wait_for_replicas()
    cache.set(LIST_VERSION_KEY, new_version_token(), timeout=None)
    process_cache.clear()


def expire_lists_on_commit():
    """Bump the list version once the current transaction commits.

    Robust: a dead Redis costs freshness (entries still expire by their
    timeouts), never the editor's save.
    """
    transaction.on_commit(bump_list_version, robust=True)


def flush_page(path):
    """Rebuild every entry read for the page at `path` on its next request.

    Entries keep their keys (teasers are shared by many pages); each one built
    before this moment counts as stale when it is read for this path.
    """
    cache.set(page_flushed_key(path), time.time(), timeout=settings.CACHE_TTL_FOREVER * 3)
    process_cache.clear()
