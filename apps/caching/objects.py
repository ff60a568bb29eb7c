"""Rows a page needs before any fragment (the post of a detail page, the
category of a category page), cached under the list version.

Warm pages run no SQL: the view still answers 404 for an unknown slug (a
miss runs the lookup, and a 404 is never stored), while a known one comes
from the cache. Every change a page shows bumps the list version, so a cached
row is never older than what readers may see.
"""

import time

from django.conf import settings
from django.core.cache import cache

from .fragments import jitter
from .keys import object_key
from .pages import page_state, wants_flush


def cached_object(request, object_name, lookup, load):
    """load() (which returns a row or raises Http404), cached per list version
    and reloaded after flush_page() or a staff flush of the page."""
    if not settings.CACHE_ENABLED:
        return load()
    state = page_state(request)
    if not state.cache_available:
        return load()
    cache_key = object_key(object_name, state.list_version, lookup)
    cached = None if wants_flush(request) else cache.get(cache_key)
    if cached is not None:
        row, built_at = cached
        if built_at >= state.flushed_at:
            return row
    row = load()
    cache.set(cache_key, (row, time.time()), timeout=jitter(settings.CACHE_TTL_MIDDLE))
    return row
