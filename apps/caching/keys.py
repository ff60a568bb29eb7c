"""Every cache key the caching app writes, built in one place and named by kind.

    response:<md5 of the page address>         a whole anonymous response (layer 3)
    row:<row name>:<md5 of the lookup>          the object a page needs first (layer 5)
    fragment:<fragment name>:<md5 of vary-on>   a {% cache %} fragment (layer 6)
    page-flushed:<path>                         when an editor last flushed a page
    <any of the above>:rebuilding               the short lock of the one rebuilder

Keys are readable up to the hash, so the debug toolbar and `redis-cli --scan`
show which entry a key belongs to. No key holds the list version: entries that
depend on it are stamped with it instead (apps/caching/list_version.py).
"""

import hashlib
import json

from django.db.models import Model
from django.db.models.query import QuerySet

FLUSH_PARAM = "flush-the-cache"


def _digest(values):
    return hashlib.md5(
        json.dumps([str(value) for value in values]).encode(), usedforsecurity=False
    ).hexdigest()


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
    return f"fragment:{fragment_name}:{_digest(vary_on)}"


def row_key(row_name, lookup):
    """A row a page needs before any fragment (the post of a post page)."""
    return f"row:{row_name}:{_digest([lookup])}"


def response_key(page_address):
    """A whole anonymous response, by the page's address (path and query)."""
    return f"response:{_digest([page_address])}"


def page_flushed_key(path):
    return f"page-flushed:{path}"


def rebuild_lock_key(cache_key):
    return f"{cache_key}:rebuilding"
