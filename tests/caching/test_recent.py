"""The process's own second of anonymous responses (apps/caching/recent.py)."""

import pytest

from apps.caching import recent
from apps.caching.recent import RecentResponses, recent_responses
from apps.caching.versions import bump_list_version

pytestmark = pytest.mark.django_db


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
    assert recent_responses.entries

    bump_list_version()

    assert not recent_responses.entries


def test_entries_expire_after_the_configured_seconds(monkeypatch, settings):
    settings.CACHE_PROCESS_SECONDS = 1
    clock = [1000.0]
    monkeypatch.setattr(recent.time, "monotonic", lambda: clock[0])
    responses = RecentResponses()
    responses.set("page", "content")

    clock[0] += 0.9
    assert responses.get("page") == "content"
    clock[0] += 0.2
    assert responses.get("page") is None


def test_memory_is_bounded_oldest_first(settings):
    settings.CACHE_PROCESS_SECONDS = 60
    responses = RecentResponses(max_entries=2)
    for key in ("first", "second", "third"):
        responses.set(key, key)
    assert list(responses.entries) == ["second", "third"]


def test_zero_seconds_turns_the_layer_off(settings):
    settings.CACHE_PROCESS_SECONDS = 0
    responses = RecentResponses()
    responses.set("page", "content")
    assert responses.get("page") is None
