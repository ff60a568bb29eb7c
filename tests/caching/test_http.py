"""HTTP caching: what a browser or CDN in front of the site may reuse."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.blog.models import Post
from tests.support.headers import collect_stylesheet, header_problems
from tests.support.pages import PAGE_NAMES, page_urls


@pytest.fixture
def post(post_factory):
    return post_factory(title="Ferry timetable")


def test_anonymous_pages_are_public_for_a_short_while_with_validators(client, post, settings):
    response = client.get("/")

    assert set(response["Cache-Control"].split(", ")) == {
        "public",
        f"max-age={settings.CACHE_HTTP_MAX_AGE}",
        f"s-maxage={settings.CACHE_EDGE_MAX_AGE}",
        f"stale-while-revalidate={settings.CACHE_STALE_WHILE_REVALIDATE}",
        f"stale-if-error={settings.CACHE_STALE_IF_ERROR}",
    }
    assert response["ETag"].startswith('W/"')
    assert response["Last-Modified"]


@pytest.mark.parametrize("url_name", ["home", "post", "feed_atom"])
def test_if_none_match_gets_304_without_rendering_or_sql(client, post, django_assert_num_queries, url_name):
    url = post.get_absolute_url() if url_name == "post" else reverse(f"blog:{url_name}")
    etag = client.get(url)["ETag"]

    with django_assert_num_queries(0):
        response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_if_modified_since_gets_304_without_rendering_or_sql(client, post, django_assert_num_queries):
    last_modified = client.get("/")["Last-Modified"]

    with django_assert_num_queries(0):
        response = client.get("/", headers={"If-Modified-Since": last_modified})

    assert response.status_code == 304


def test_a_publish_changes_the_validators(client, post, post_factory, django_capture_on_commit_callbacks):
    first = client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        post_factory(title="Later story", published_at=timezone.now())

    response = client.get("/", headers={"If-None-Match": first["ETag"]})

    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]
    assert b"Later story" in response.content


def test_validators_differ_per_page(client, post):
    assert client.get(post.get_absolute_url())["ETag"] != client.get("/")["ETag"]


def test_staff_pages_are_private_and_always_revalidated(admin_client, post):
    response = admin_client.get("/", headers={"If-None-Match": "*"})

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"]
    assert "ETag" not in response


def test_staff_preview_is_private(admin_client, post_factory):
    draft = post_factory(status=Post.Status.DRAFT)

    response = admin_client.get(reverse("blog:preview", args=[draft.pk]))

    assert "private" in response["Cache-Control"]


def test_cache_switch_off_sends_no_validators(client, post, settings):
    settings.CACHE_ENABLED = False

    response = client.get("/")

    assert "ETag" not in response
    assert "Cache-Control" not in response


def test_not_found_pages_carry_no_validators(client, db):
    response = client.get("/posts/no-such-post/")

    assert response.status_code == 404
    assert "ETag" not in response


def test_cached_whole_response_keeps_the_views_own_headers(client, post):
    url = reverse("blog:search") + "?q=ferry"
    cold = client.get(url)
    warm = client.get(url)

    assert warm.content == cold.content
    assert warm["X-Robots-Tag"] == cold["X-Robots-Tag"] == "noindex"
    assert warm["Content-Type"] == cold["Content-Type"]


@pytest.mark.parametrize("page_name", PAGE_NAMES)
def test_head_is_answered_like_get_without_a_body(client, site, page_name):
    """A crawler's or monitor's HEAD: never 405, and from the cache like a GET."""
    url = page_urls(site)[page_name]

    cold = client.head(url)
    client.get(url)
    with CaptureQueriesContext(connection) as warm_get:
        client.get(url)
    with CaptureQueriesContext(connection) as warm_head:
        warm = client.head(url)

    assert (cold.status_code, warm.status_code) == (200, 200)
    assert (cold.content, warm.content) == (b"", b"")
    assert len(warm_head) == len(warm_get)


@pytest.mark.parametrize("page_name", [*PAGE_NAMES, "not_found"])
def test_no_page_says_a_header_twice_or_both_ways(client, admin_client, site, page_name):
    """Cold, from the cache, HEAD, revalidated, and for staff: every layer that
    adds a header (CSP, security, page cache, sessions, validators) adds it once."""
    url = page_urls(site).get(page_name, "/posts/no-such-story/")
    cold = client.get(url)
    responses = {
        "cold": cold,
        "warm": client.get(url),
        "head": client.head(url),
        "revalidated": client.get(url, headers={"If-None-Match": cold.get("ETag", "*")}),
        "staff": admin_client.get(url),
    }

    problems = {way: header_problems(response.items()) for way, response in responses.items()}

    assert {way: found for way, found in problems.items() if found} == {}


def test_static_files_say_vary_accept_encoding_once(settings, tmp_path):
    """Served by whitenoise as deployed: compressed copies beside each file,
    so its answer varies on Accept-Encoding, said once, whichever copy is sent."""
    settings.STATIC_ROOT = tmp_path
    stylesheet_url = collect_stylesheet(tmp_path)
    client = Client()  # a new handler: whitenoise indexes STATIC_ROOT when it is built

    responses = {
        encoding: client.get(stylesheet_url, headers={"Accept-Encoding": encoding})
        for encoding in ("br, gzip", "gzip", "identity")
    }

    assert {encoding: response.get("Content-Encoding") for encoding, response in responses.items()} == {
        "br, gzip": "br",
        "gzip": "gzip",
        "identity": None,
    }
    assert {encoding: response["Vary"] for encoding, response in responses.items()} == dict.fromkeys(
        responses, "Accept-Encoding"
    )
    assert [problem for response in responses.values() for problem in header_problems(response.items())] == []


def test_the_header_check_catches_what_redbot_flagged():
    assert header_problems([("Vary", "Accept-Encoding"), ("vary", "accept-encoding")]) == [
        "vary repeats ['accept-encoding']: ['Accept-Encoding', 'accept-encoding']"
    ]
    assert header_problems([("Cache-Control", "public, max-age=60"), ("Cache-Control", "private")]) == [
        "cache-control says both public and private: ['public, max-age=60', 'private']"
    ]
    assert header_problems([("ETag", '"a"'), ("ETag", '"b"')]) == ["etag sent 2 times: ['\"a\"', '\"b\"']"]
