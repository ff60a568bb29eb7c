"""Stampede protection: when a hot fragment expires, one process rebuilds it
while the others serve the previous copy. Threads against the real Redis."""

import threading
import time

import pytest
from django.core.cache import cache

from apps.caching.keys import fragment_key
from tests.caching.conftest import SlowValue, render_template

SOURCE = "{% cache 600 hot_list %}{{ value }}{% endcache %}"


def render_concurrently(requests, value):
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def render(index, request):
        barrier.wait()
        results[index] = render_template(SOURCE, request, value=value)

    threads = [threading.Thread(target=render, args=pair) for pair in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_expired_fragment_is_rebuilt_once_while_others_serve_the_stale_copy(anonymous_request):
    cache_key = fragment_key("hot_list", [])
    an_hour_ago = time.time() - 3600
    cache.set(cache_key, ("stale", an_hour_ago, an_hour_ago - 600, "any version"), timeout=600)
    # Slow enough that the second request asks while the first still renders.
    value = SlowValue("rebuilt", seconds=0.5)

    results = render_concurrently([anonymous_request(), anonymous_request()], value)

    assert value.renders == 1
    assert sorted(results) == ["rebuilt1", "stale"]
    assert cache.get(cache_key)[0] == "rebuilt1"


def test_missing_fragment_is_stored_once_and_the_others_render_without_waiting(anonymous_request):
    value = SlowValue("built", seconds=0.5)

    results = render_concurrently([anonymous_request(), anonymous_request()], value)

    # Nothing to serve: the one without the lock renders for itself, unstored.
    assert value.renders == 2
    assert sorted(results) == ["built1", "built2"]
    assert cache.get(fragment_key("hot_list", []))[0] in results
    assert cache.get(fragment_key("hot_list", []) + ":rebuilding") is None


def test_rebuild_lock_is_released_when_rendering_fails(anonymous_request):
    class Broken:
        def __str__(self):
            raise RuntimeError("template bug")

    with pytest.raises(RuntimeError, match="template bug"):
        render_template(SOURCE, anonymous_request(), value=Broken())

    assert cache.get(fragment_key("hot_list", []) + ":rebuilding") is None
    assert render_template(SOURCE, anonymous_request(), value=SlowValue()) == "fresh1"
