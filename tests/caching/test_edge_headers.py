"""Layer 0's side of the app (apps/caching/edge.py): what a public page tells
the edge it shows (the `xkey` header), the same cold, from warm fragments and
from the whole-response cache; and private responses that say so."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from apps.caching.edge import page_key
from apps.caching.process_cache import process_cache
from apps.replicas.router import RECENT_WRITE_COOKIE


@pytest.fixture
def section(category_factory, tag_factory, author_factory, published_posts):
    category, tag, author = category_factory(), tag_factory(), author_factory()
    posts = published_posts(3, author=author, category=category, tags=[tag])
    return category, tag, author, posts


def xkeys(response):
    return set(response["xkey"].split())


def forget_whole_responses():
    """The next request renders again, from whatever fragments are cached."""
    cache.delete_many(cache.keys("response:*"))
    process_cache.clear()


def test_a_list_page_names_each_post_its_list_and_itself(client, section):
    category, _tag, _author, posts = section

    response = client.get(category.get_absolute_url())

    assert xkeys(response) == {
        *(f"post-{post.pk}" for post in posts),
        f"category-{category.pk}",
        "sections",
        page_key(category.get_absolute_url()),
    }


@pytest.mark.parametrize("list_page", ["home", "category", "tag", "author"])
def test_a_warm_page_names_the_same_keys_as_a_cold_one(client, section, list_page):
    category, tag, author, _posts = section
    url = {
        "home": "/",
        "category": category.get_absolute_url(),
        "tag": tag.get_absolute_url(),
        "author": author.get_absolute_url(),
    }[list_page]
    cold = client.get(url)
    forget_whole_responses()

    from_fragments = client.get(url)
    process_cache.clear()
    from_whole_response = client.get(url)

    assert xkeys(from_fragments) == xkeys(cold) == xkeys(from_whole_response)
    assert from_fragments.context is not None, "rendered again, from the cached fragments"
    assert from_whole_response.context is None, "answered by the middleware"


def test_a_post_page_names_the_post_its_neighbours_and_related_posts(client, section):
    *_, posts = section
    middle = posts[1]
    cold = client.get(middle.get_absolute_url())
    forget_whole_responses()
    warm = client.get(middle.get_absolute_url())

    shown_posts = {key for key in xkeys(cold) if key.startswith("post-")}
    assert shown_posts == {f"post-{post.pk}" for post in posts}
    assert xkeys(warm) == xkeys(cold)


def test_archives_feeds_and_sitemaps_name_their_list(client, section):
    *_, posts = section
    published_at = posts[0].published_at

    month = client.get(reverse("blog:archive_month", args=[published_at.year, published_at.month]))
    feed = client.get(reverse("blog:feed_atom"))
    sitemap = client.get(reverse("sitemap"))

    assert f"archive-{published_at.year}-{published_at.month:02d}" in xkeys(month)
    assert "feed" in xkeys(feed)
    assert "sitemap" in xkeys(sitemap)


def test_a_public_page_gives_the_edge_its_own_lifetime_and_grace(client, section, settings):
    cache_control = set(client.get("/")["Cache-Control"].split(", "))

    assert f"s-maxage={settings.CACHE_EDGE_MAX_AGE}" in cache_control
    assert f"stale-while-revalidate={settings.CACHE_STALE_WHILE_REVALIDATE}" in cache_control
    assert f"stale-if-error={settings.CACHE_STALE_IF_ERROR}" in cache_control


def test_a_reader_who_just_wrote_gets_a_private_page_never_stored(client, section):
    client.cookies[RECENT_WRITE_COOKIE] = "1:forged"

    response = client.get("/")

    assert set(response["Cache-Control"].split(", ")) >= {"private", "no-store"}
    assert cache.keys("response:*") == []


def test_a_page_that_sets_a_cookie_is_private(client, section):
    """A failed sign-in answers with the form again and its CSRF cookie."""
    response = client.post(reverse("admin:login"), {"username": "nobody", "password": "wrong"})

    assert response.cookies
    assert "private" in response["Cache-Control"]


def test_the_read_beacon_is_never_stored(client, section):
    *_, posts = section

    beacon_url = reverse("blog:post_read", args=[posts[0].pk])

    response = client.post(beacon_url, headers={"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 204
    assert "no-store" in response["Cache-Control"]


def test_the_edge_is_never_answered_from_a_process_memory(client, section):
    """A process may hold a copy up to a second old; the edge would keep it for s-maxage."""
    client.get("/")
    cache.delete_many(cache.keys("response:*"))

    from_memory = client.get("/")
    for_the_edge = client.get("/", headers={"X-Edge-Fetch": "1"})

    assert from_memory.context is None
    assert for_the_edge.context is not None
