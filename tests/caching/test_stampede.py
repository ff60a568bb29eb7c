"""Stampede protection: when a hot fragment expires, one request rebuilds it
while the others serve the previous copy. Threads against the real Redis,
coordinated by events, never by sleeping."""

import threading
import time

import pytest
from django.core.cache import cache

from apps.caching.keys import fragment_key, rebuild_lock_key
from apps.caching.pipeline import Entry
from tests.support.rendering import BlockingValue, CountingValue, render_template

SOURCE = "{% cache 600 hot_list %}{{ value }}{% endcache %}"
KEY = fragment_key("hot_list", [])


def store_expired_copy(html):
    an_hour_ago = time.time() - 3600
    cache.set(KEY, Entry(html, an_hour_ago, an_hour_ago - 600, None), timeout=600)


def render_in_thread(request, value):
    """Start a render of SOURCE in a thread; return (thread, results list)."""
    results = []
    thread = threading.Thread(target=lambda: results.append(render_template(SOURCE, request, value=value)))
    thread.start()
    return thread, results


def test_expired_fragment_is_rebuilt_once_while_others_serve_the_stale_copy(anonymous_request):
    store_expired_copy("stale")
    value = BlockingValue("rebuilt")

    rebuilder, rebuilt = render_in_thread(anonymous_request(), value)
    assert value.rendering.wait(timeout=10)
    # The first request holds the rebuild lock and is mid-render: the second serves the old copy.
    meanwhile = render_template(SOURCE, anonymous_request(), value=value)
    value.release.set()
    rebuilder.join(timeout=10)

    assert meanwhile == "stale"
    assert rebuilt == ["rebuilt1"]
    assert value.renders == 1
    assert cache.get(KEY).value == "rebuilt1"
    assert cache.get(rebuild_lock_key(KEY)) is None


def test_with_no_copy_to_serve_each_request_renders_its_own_without_waiting(anonymous_request):
    value = BlockingValue("built")

    first, first_result = render_in_thread(anonymous_request(), value)
    assert value.rendering.wait(timeout=10)
    second_result = render_template(SOURCE, anonymous_request(), value=value)
    value.release.set()
    first.join(timeout=10)

    assert (first_result, second_result) == (["built1"], "built2")
    assert cache.get(KEY).value in ("built1", "built2")
    assert cache.get(rebuild_lock_key(KEY)) is None


def test_rebuild_lock_is_released_when_rendering_fails(anonymous_request):
    class Broken:
        def __str__(self):
            raise RuntimeError("template bug")

    store_expired_copy("stale")
    with pytest.raises(RuntimeError, match="template bug"):
        render_template(SOURCE, anonymous_request(), value=Broken())

    assert cache.get(rebuild_lock_key(KEY)) is None
    assert render_template(SOURCE, anonymous_request(), value=CountingValue()) == "fresh1"
