"""Layer 2: the process's own second of anonymous responses (apps/caching/process_cache.py)."""

import pytest

from apps.caching import process_cache as process_cache_module
from apps.caching.list_version import bump_list_version
from apps.caching.process_cache import ProcessCache, process_cache, remember

pytestmark = pytest.mark.django_db


def remembered(size=10):
    return remember(b"x" * size, {"Content-Type": "text/html"})


@pytest.fixture
def published_post(post_factory):
    return post_factory(title="Ferry timetable")


def test_a_warm_page_is_answered_from_process_memory_without_redis(client, published_post, settings):
    first = client.get("/")
    # Nothing listens on the discard port: any Redis call now would fail.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}

    again = client.get("/")

    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


def test_conditional_request_is_answered_304_from_process_memory(client, published_post):
    etag = client.get("/")["ETag"]
    assert client.get("/", headers={"if-none-match": etag}).status_code == 304


def test_a_publish_in_this_process_empties_its_memory(client, published_post):
    client.get("/")
    assert process_cache.entries

    bump_list_version()

    assert not process_cache.entries


def test_entries_expire_after_the_configured_seconds(monkeypatch, settings):
    settings.CACHE_PROCESS_SECONDS = 1
    clock = [1000.0]
    monkeypatch.setattr(process_cache_module.time, "monotonic", lambda: clock[0])
    memory = ProcessCache(max_bytes=1000)
    memory.set("page", remembered())

    clock[0] += 0.9
    assert memory.get("page") == remembered()
    clock[0] += 0.2
    assert memory.get("page") is None


def test_memory_is_bounded_in_bytes_oldest_first(settings):
    settings.CACHE_PROCESS_SECONDS = 60
    memory = ProcessCache(max_bytes=250, max_entry_bytes=120)
    for key in ("first", "second", "third"):
        memory.set(key, remembered(size=95))

    assert list(memory.entries) == ["second", "third"]
    assert memory.stored_bytes <= 250


def test_a_body_larger_than_its_share_of_the_budget_is_never_kept(settings):
    """A huge page (a sitemap of 50,000 URLs) must not push out every other page."""
    settings.CACHE_PROCESS_SECONDS = 60
    memory = ProcessCache(max_bytes=1600, max_entry_bytes=100)
    memory.set("small", remembered(size=50))
    memory.set("huge", remembered(size=500))

    assert memory.get("huge") is None
    assert memory.get("small") is not None


def test_storing_a_key_again_replaces_its_bytes(settings):
    settings.CACHE_PROCESS_SECONDS = 60
    memory = ProcessCache(max_bytes=1000, max_entry_bytes=500)
    for _ in range(5):
        memory.set("page", remembered(size=100))

    assert memory.stored_bytes == 100 + len("page")


def test_zero_seconds_turns_the_layer_off(settings):
    settings.CACHE_PROCESS_SECONDS = 0
    memory = ProcessCache(max_bytes=1000)
    memory.set("page", remembered())
    assert memory.get("page") is None
