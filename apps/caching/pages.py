"""What a request knows about its page's cache state, read once per request.

One round trip (get_many) fetches the list version, the time the page was
last flushed and, for whole cached responses, the response itself; every
fragment on the page and the HTTP validators reuse it.
When the cache cannot be read at all, the request renders uncached and makes
no further cache calls: a dead Redis costs one failed call, not one per
fragment.
"""

import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from apps.core.permissions import can_flush_cache

from .keys import FLUSH_PARAM, LIST_VERSION_KEY, page_flushed_key
from .recent import recent_responses
from .versions import list_version

REQUEST_ATTRIBUTE = "_fragment_cache_page_state"
# Set by apps.caching.http before it drops the page's irrelevant parameters.
FLUSH_REQUESTED_ATTRIBUTE = "_fragment_cache_flush_requested"
# Set on staff previews: they read fragments but never write what readers get.
READ_ONLY_ATTRIBUTE = "_fragment_cache_read_only"


@dataclass(frozen=True)
class PageState:
    cache_available: bool
    list_version: str
    flushed_at: float
    # Values read in the same round trip: {cache key: value or None}.
    prefetched: dict = field(default_factory=dict)


def page_state(request, prefetch_keys=()):
    """The request's PageState; the first call reads it, with `prefetch_keys`."""
    state = getattr(request, REQUEST_ATTRIBUTE, None)
    if state is None:
        state = read_page_state(request.path, prefetch_keys)
        setattr(request, REQUEST_ATTRIBUTE, state)
    return state


def read_page_state(path, prefetch_keys=()):
    flushed_key = page_flushed_key(path)
    found = cache.get_many([LIST_VERSION_KEY, flushed_key, *prefetch_keys])
    version = found.get(LIST_VERSION_KEY) or list_version()
    if version is None:
        # A key no other request will ever share: nothing is read or stored.
        return PageState(cache_available=False, list_version=f"unavailable-{uuid.uuid4().hex}", flushed_at=0)
    return PageState(
        cache_available=True,
        list_version=version,
        flushed_at=found.get(flushed_key, 0),
        prefetched={key: found.get(key) for key in prefetch_keys},
    )


def page_list_version(request):
    return page_state(request).list_version


def wants_flush(request):
    """The editorial `?flush-the-cache`: staff only, or anyone could make
    every request render uncached (a denial-of-service door)."""
    if getattr(request, READ_ONLY_ATTRIBUTE, False):
        return False
    flush_requested = getattr(request, FLUSH_REQUESTED_ATTRIBUTE, FLUSH_PARAM in request.GET)
    return flush_requested and can_flush_cache(request.user)


def flush_page(path):
    """Rebuild every fragment of the page at `path` on its next request.

    Fragments keep their keys (teasers are shared by many pages); each one
    built before this moment counts as stale when it is read for this path.
    """
    cache.set(page_flushed_key(path), time.time(), timeout=settings.CACHE_TTL_FOREVER * 3)
    recent_responses.clear()
