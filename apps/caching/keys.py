"""Every cache key the caching app writes, built in one place.

Keys are readable up to the hash (`fragment:post_teaser:<md5>`), so the debug
toolbar and `redis-cli --scan` show which fragment a key belongs to.
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


def object_key(object_name, list_version, lookup):
    return fragment_key(f"object:{object_name}", [list_version, lookup])


def response_key(absolute_url):
    """A whole anonymous response, by scheme, host, path and kept parameters;
    its list version is checked inside the stored copy (see render_fragment)."""
    return fragment_key("response", [absolute_url])
