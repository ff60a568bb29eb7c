"""Every cache key the caching app writes, built in one place.

Keys are readable up to the hash (`fragment:post_teaser:<md5>`), so the debug
toolbar and `redis-cli --scan` show which entry a key belongs to. No key holds
the list version: entries that depend on it are stamped with it instead
(apps/caching/pipeline.py).
"""

import hashlib
import json

from django.db.models import Model
from django.db.models.query import QuerySet

LIST_VERSION_KEY = "version:post_lists"
FLUSH_PARAM = "flush-the-cache"


def fragment_key(fragment_name, vary_on):
    """The key of one fragment: its name and every value it varies on.

    Values go through str(), like Django's {% cache %}: pass ids and
    timestamps. A model instance or queryset would key on its repr (or run
    its query just to build the key), so it is refused.
    """
    for value in vary_on:
        if isinstance(value, Model | QuerySet):
            raise TypeError(
                f"Fragment {fragment_name!r} varies on a {type(value).__name__}: "
                "pass its id and last_modified instead."
            )
    vary_on_digest = hashlib.md5(
        json.dumps([str(value) for value in vary_on]).encode(), usedforsecurity=False
    ).hexdigest()
    return f"fragment:{fragment_name}:{vary_on_digest}"


def rebuild_lock_key(cache_key):
    return f"{cache_key}:rebuilding"


def page_flushed_key(path):
    return f"page-flushed:{path}"


def row_key(row_name, lookup):
    """A row a page needs before any fragment (the post of a post page)."""
    return fragment_key(f"row:{row_name}", [lookup])


def response_key(page_address):
    """A whole anonymous response, by the page's address (path and query)."""
    return fragment_key("response", [page_address])
