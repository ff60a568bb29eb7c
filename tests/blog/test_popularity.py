""" "Most read" under attack: a retracted post leaves the box as soon as its
retraction commits, and the anonymous beacon cannot be used to rig the list."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.blog import popularity
from apps.blog.models import Post
from apps.blog.popularity import count_post_view, most_read_posts, remember_post

pytestmark = pytest.mark.django_db

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def read_by_readers(post, readers=3):
    """`readers` different readers each read the post once."""
    remember_post(post)
    for reader in range(readers):
        count_post_view(post.pk, f"203.0.113.{reader + 1}")


def listed_titles():
    return [card["title"] for card in most_read_posts()]


@pytest.fixture
def retracted_and_kept(post_factory):
    retracted, kept = post_factory(title="Retracted story"), post_factory(title="Kept story")
    read_by_readers(retracted, readers=5)
    read_by_readers(kept, readers=2)
    assert listed_titles() == ["Retracted story", "Kept story"]
    return retracted, kept


@pytest.mark.parametrize(
    "retract",
    [
        pytest.param(
            lambda post: setattr(post, "status", Post.Status.DRAFT) or post.save(), id="unpublished"
        ),
        pytest.param(
            lambda post: (
                setattr(post, "published_at", timezone.now() + datetime.timedelta(days=1)) or post.save()
            ),
            id="rescheduled-for-later",
        ),
        pytest.param(lambda post: post.delete(), id="deleted"),
    ],
)
def test_a_post_that_stops_being_public_leaves_the_box_on_commit(
    retracted_and_kept, django_capture_on_commit_callbacks, retract
):
    retracted, _kept = retracted_and_kept
    retracted_id = retracted.pk

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        retract(retracted)
    # Before the commit, readers may still see the post: it stays listed.
    assert listed_titles() == ["Retracted story", "Kept story"]
    for callback in callbacks:
        callback()

    assert listed_titles() == ["Kept story"]
    # Its card went too: a beacon cannot bring it back.
    count_post_view(retracted_id, "198.51.100.7")
    assert listed_titles() == ["Kept story"]


def test_bulk_unpublish_in_the_admin_empties_the_box_of_those_posts(
    admin_client, retracted_and_kept, django_capture_on_commit_callbacks
):
    retracted, _kept = retracted_and_kept

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:blog_post_changelist"), {"action": "unpublish", "_selected_action": [retracted.pk]}
        )

    assert listed_titles() == ["Kept story"]


def test_saving_a_public_post_keeps_it_listed(retracted_and_kept, django_capture_on_commit_callbacks):
    _retracted, kept = retracted_and_kept
    with django_capture_on_commit_callbacks(execute=True):
        kept.excerpt = "Updated."
        kept.save()
    assert listed_titles() == ["Retracted story", "Kept story"]


def test_retracting_with_redis_down_still_saves(post_factory, settings, django_capture_on_commit_callbacks):
    post = post_factory()
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}

    with django_capture_on_commit_callbacks(execute=True):
        post.status = Post.Status.DRAFT
        post.save()

    assert Post.objects.get(pk=post.pk).status == Post.Status.DRAFT


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-browser-headers"),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="cross-site"),
        pytest.param({"Sec-Fetch-Site": "same-site"}, id="same-site"),
        pytest.param({"Sec-Fetch-Site": "none"}, id="typed-in"),
        pytest.param({"Origin": "https://rigging.example"}, id="foreign-origin"),
        pytest.param({"Origin": "null"}, id="opaque-origin"),
        pytest.param({"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"}, id="cross-site-wins"),
    ],
)
def test_beacon_from_another_site_is_refused_and_not_counted(client, post_factory, headers):
    post = post_factory()
    remember_post(post)

    response = client.post(reverse("blog:post_read", args=[post.pk]), headers=headers)

    assert response.status_code == 403
    assert most_read_posts() == []


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(SAME_ORIGIN, id="fetch-metadata"),
        pytest.param({"Origin": "http://testserver"}, id="origin-only"),
    ],
)
def test_beacon_from_our_own_page_counts_with_no_sql(
    client, post_factory, django_assert_num_queries, headers
):
    post = post_factory(title="Harbour reopens")
    remember_post(post)

    with django_assert_num_queries(0):
        response = client.post(reverse("blog:post_read", args=[post.pk]), headers=headers)

    assert response.status_code == 204
    assert most_read_posts() == [
        {"title": "Harbour reopens", "url": post.get_absolute_url(), "id": post.pk, "score": 1.0}
    ]


def test_one_reader_counts_once_per_post_per_day(client, post_factory):
    post = post_factory(title="Harbour reopens")
    remember_post(post)
    beacon_url = reverse("blog:post_read", args=[post.pk])

    for _reload in range(5):
        assert client.post(beacon_url, headers=SAME_ORIGIN, REMOTE_ADDR="192.0.2.10").status_code == 204
    client.post(beacon_url, headers=SAME_ORIGIN, REMOTE_ADDR="192.0.2.11")

    assert most_read_posts()[0]["score"] == 2.0


def test_a_reader_is_counted_again_the_next_day(post_factory):
    """Unique readers are one HyperLogLog per post and UTC day, which expires after the next."""
    post = post_factory()
    remember_post(post)
    assert count_post_view(post.pk, "192.0.2.10") == popularity.BeaconOutcome.COUNTED
    assert count_post_view(post.pk, "192.0.2.10") == popularity.BeaconOutcome.ALREADY_COUNTED

    readers_key = popularity.readers_key(post.pk)
    ttl = popularity._redis().ttl(readers_key)
    assert 0 < ttl <= popularity.DAY_KEY_TTL_SECONDS
    popularity._redis().delete(readers_key)  # the next day's key is another one

    assert count_post_view(post.pk, "192.0.2.10") == popularity.BeaconOutcome.COUNTED
    assert most_read_posts()[0]["score"] == 2.0


def test_many_unique_readers_are_counted_within_the_estimate(post_factory):
    """The score grows by what the day's estimate grew by: close to the true count
    at any size (PFADD's own answer would undercount a big story)."""
    post = post_factory()
    remember_post(post)
    for reader in range(2000):
        count_post_view(post.pk, f"10.{reader // 65536}.{reader // 256 % 256}.{reader % 256}")

    assert 2000 * 0.97 <= most_read_posts()[0]["score"] <= 2000 * 1.03


def test_one_site_adds_at_most_its_daily_reads(post_factory, monkeypatch):
    """A /48 rotating through its /64s (each a reader with its own beacon budget) meets the daily cap."""
    monkeypatch.setattr(popularity, "DAILY_READS_PER_SITE", 5)
    post = post_factory()
    remember_post(post)

    outcomes = [count_post_view(post.pk, f"2001:db8:7:{network:x}::1") for network in range(1, 9)]
    elsewhere = count_post_view(post.pk, "2001:db8:8::1")

    assert outcomes == [popularity.BeaconOutcome.COUNTED] * 5 + [popularity.BeaconOutcome.CAPPED] * 3
    assert elsewhere == popularity.BeaconOutcome.COUNTED
    assert most_read_posts()[0]["score"] == 6.0


def test_cards_live_in_day_hashes_that_expire(post_factory):
    """Memory follows the posts rendered today and yesterday, never the whole archive."""
    post = post_factory(title="Harbour reopens")
    remember_post(post)
    redis = popularity._redis()
    today_key, yesterday_key = popularity.card_keys()

    assert redis.hexists(today_key, post.pk)
    assert 0 < redis.ttl(today_key) <= popularity.DAY_KEY_TTL_SECONDS
    # Rendered yesterday only: still listed and counted today.
    redis.rename(today_key, yesterday_key)
    assert count_post_view(post.pk, "192.0.2.10") == popularity.BeaconOutcome.COUNTED
    assert listed_titles() == ["Harbour reopens"]
    # Its day hash expired: no card, no count, not listed.
    redis.delete(yesterday_key)
    assert count_post_view(post.pk, "192.0.2.11") == popularity.BeaconOutcome.NOT_LISTED
    assert listed_titles() == []


def test_an_ipv6_reader_cannot_rotate_addresses_within_its_network(post_factory):
    """An IPv6 host usually holds a whole /64: one reader, however many addresses."""
    post = post_factory()
    remember_post(post)
    for host in range(1, 6):
        count_post_view(post.pk, f"2001:db8:0:1::{host}")
    count_post_view(post.pk, "2001:db8:0:2::1")
    assert most_read_posts()[0]["score"] == 2.0


def test_beacons_are_rate_limited_per_client_address(client, published_posts):
    posts = published_posts(popularity.BEACONS_PER_WINDOW + 1)
    for post in posts:
        remember_post(post)
    beacon_statuses = [
        client.post(
            reverse("blog:post_read", args=[post.pk]), headers=SAME_ORIGIN, REMOTE_ADDR="192.0.2.66"
        ).status_code
        for post in posts
    ]

    assert beacon_statuses[:-1] == [204] * popularity.BEACONS_PER_WINDOW
    assert beacon_statuses[-1] == 429
    refused = client.post(
        reverse("blog:post_read", args=[posts[0].pk]), headers=SAME_ORIGIN, REMOTE_ADDR="192.0.2.66"
    )
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == popularity.RATE_WINDOW_SECONDS
    # The refused beacon was not counted; another address is not limited.
    assert sum(card["score"] for card in most_read_posts(limit=len(posts))) == popularity.BEACONS_PER_WINDOW
    other = client.post(
        reverse("blog:post_read", args=[posts[-1].pk]), headers=SAME_ORIGIN, REMOTE_ADDR="192.0.2.67"
    )
    assert other.status_code == 204
