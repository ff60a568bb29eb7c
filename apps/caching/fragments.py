"""Reading and rebuilding one cached fragment: the engine behind {% cache %}.

Each fragment is stored as (html, fresh_until, built_at, list_version) under a
hard TTL twice its jittered timeout. Past fresh_until the copy is stale: one
process takes a short lock and rebuilds it while the others keep serving the
stale copy (stampede protection); with no copy at all, the others render
without storing.
"""

import logging
import random
import time

from django.conf import settings
from django.core.cache import caches
from django.dispatch import Signal

from .keys import rebuild_lock_key
from .pages import page_state, wants_flush

logger = logging.getLogger("apps.caching.fragments")

# Sent for every fragment read, with name, key and outcome; the debug
# toolbar's fragment panel listens to it.
fragment_cache_used = Signal()

HIT, STALE, MISS, REBUILT, FLUSHED, UNCACHED = "hit", "stale", "miss", "rebuilt", "flushed", "uncached"
# Longer than any fragment takes to render; a crashed rebuilder frees it by itself.
REBUILD_LOCK_SECONDS = 30


def jitter(seconds, variance=0.2):
    """The chapter's ±20% jitter, so fragments set together expire apart."""
    return random.randint(int(seconds * (1 - variance)), int(seconds * (1 + variance)))


def render_fragment(
    request, fragment_name, cache_key, timeout, render, cache_alias="default", same_list_version=False
):
    """Return the fragment's HTML from the cache, or from render() when needed.

    With `same_list_version`, the list version is checked inside the stored
    copy instead of being part of the key, so the key is known before the
    version and can be read in the page's first round trip; a copy built for
    another version counts as absent (never served stale).
    """
    if not settings.CACHE_ENABLED:
        return render()
    state = page_state(request)
    if not state.cache_available:
        return _record(fragment_name, cache_key, UNCACHED, render())
    fragment_cache = caches[cache_alias]

    if wants_flush(request):
        html = render()
        _store(fragment_cache, cache_key, html, timeout, state.list_version)
        return _record(fragment_name, cache_key, FLUSHED, html)

    cached = state.prefetched[cache_key] if cache_key in state.prefetched else fragment_cache.get(cache_key)
    if cached is not None:
        html, fresh_until, built_at, built_for_version = cached
        if same_list_version and built_for_version != state.list_version:
            cached = None
        elif time.time() < fresh_until and built_at >= state.flushed_at:
            return _record(fragment_name, cache_key, HIT, html)

    if request.user.is_authenticated:
        # Staff previews and staff-only state never write what readers get.
        return _record(fragment_name, cache_key, UNCACHED, render())

    lock_key = rebuild_lock_key(cache_key)
    if fragment_cache.add(lock_key, 1, timeout=REBUILD_LOCK_SECONDS):
        try:
            html = render()
            _store(fragment_cache, cache_key, html, timeout, state.list_version)
        finally:
            fragment_cache.delete(lock_key)
        return _record(fragment_name, cache_key, MISS if cached is None else REBUILT, html)
    if cached is not None:
        return _record(fragment_name, cache_key, STALE, cached[0])
    return _record(fragment_name, cache_key, UNCACHED, render())


def _store(fragment_cache, cache_key, html, timeout, list_version):
    now = time.time()
    if timeout is None:
        fragment_cache.set(cache_key, (html, float("inf"), now, list_version), timeout=None)
        return
    fresh_for = jitter(timeout)
    fragment_cache.set(cache_key, (html, now + fresh_for, now, list_version), timeout=fresh_for * 2)


def _record(fragment_name, cache_key, outcome, html):
    logger.debug("fragment %s %s (%s)", fragment_name, outcome, cache_key)
    fragment_cache_used.send(sender=None, fragment_name=fragment_name, cache_key=cache_key, outcome=outcome)
    return html
