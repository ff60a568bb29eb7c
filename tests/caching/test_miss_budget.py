"""Renders no cache layer could answer are metered per client identity: past
PAGE_MISSES_PER_CLIENT a minute, 429 with Retry-After, while hits are served
as before and other clients keep their own budget. Counted in the real Redis."""

from types import SimpleNamespace

import pytest
from django_redis import get_redis_connection

from apps.security import ratelimit

FLOODER = "203.0.113.50"
READER = "198.51.100.20"


@pytest.fixture(autouse=True)
def small_budget(settings, monkeypatch):
    settings.PAGE_MISSES_PER_CLIENT = 3
    # 30 seconds into a window, for the whole test: no window ends mid-flood.
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 60 * 28_333_333 + 30.0))


def test_past_its_budget_of_misses_a_client_gets_429_and_nothing_is_rendered(
    client, published_posts, django_assert_num_queries
):
    posts = published_posts(5)
    answered = [client.get(post.get_absolute_url(), REMOTE_ADDR=FLOODER).status_code for post in posts[:3]]
    with django_assert_num_queries(0):
        refused = client.get(posts[3].get_absolute_url(), REMOTE_ADDR=FLOODER)

    assert answered == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert "no-store" in refused["Cache-Control"]
    # A stored page is still a hit for the flooder; another client renders the missed page.
    assert client.get(posts[0].get_absolute_url(), REMOTE_ADDR=FLOODER).status_code == 200
    assert client.get(posts[3].get_absolute_url(), REMOTE_ADDR=READER).status_code == 200
    # The 429 was not stored: the page the reader rendered is the one now served.
    assert client.get(posts[3].get_absolute_url(), REMOTE_ADDR=FLOODER).status_code == 200


def test_made_up_urls_spend_the_budget_too(client, db):
    statuses = [
        client.get(f"/posts/made-up-{number}/", REMOTE_ADDR=FLOODER).status_code for number in range(5)
    ]
    assert statuses == [404, 404, 404, 429, 429]


def test_the_counters_live_in_redis_with_a_ttl(client, published_posts, settings):
    (post,) = published_posts(1)
    client.get(post.get_absolute_url(), REMOTE_ADDR=FLOODER)
    redis = get_redis_connection("default")
    keys = redis.keys(f"{settings.CACHES['default']['KEY_PREFIX']}:ratelimit:page-miss:*")
    assert [key.decode().split(":")[-2] for key in keys] == ["203.0.113.50/32"]
    assert 0 < redis.ttl(keys[0]) <= settings.PAGE_MISS_WINDOW_SECONDS
