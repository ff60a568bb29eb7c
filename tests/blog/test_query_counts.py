"""Query budgets: every public view's exact queries, named and counted, with the cache off.

Each list costs the same for 20 and 100 posts per page and on the first and a
deep page (select_related + one Prefetch per list, keyset pagination, no
COUNT). Anonymous requests never read the session or user tables. Warm-cache
counts live beside the caching app's tests.
"""

import datetime

import pytest
from django.urls import reverse

from apps.blog.models import Post
from apps.core.pagination import encode_cursor
from tests.support.budgets import LIST_PAGES, QUERY_BUDGETS, QUERY_SHAPES, queries_run

LIST_POSTS = 250
START = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def cache_off(settings):
    """Every fragment and page rendered as if the cache were empty."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    settings.CACHE_ENABLED = False


@pytest.fixture
def site_content(published_posts, author_factory, category_factory, tag_factory, post_factory):
    author = author_factory()
    category = category_factory()
    tags = [tag_factory(), tag_factory()]
    posts = published_posts(LIST_POSTS, author=author, category=category, tags=tags, start=START)
    post_factory(status=Post.Status.DRAFT, author=author, category=category, tags=tags)
    middle = posts[LIST_POSTS // 2]
    return {
        "author": author,
        "category": category,
        "tag": tags[0],
        "post": middle,
        "deep_query": {"after": encode_cursor(middle.published_at, middle.pk)},
    }


def _list_urls(content):
    return {
        "home": reverse("blog:home"),
        "category": content["category"].get_absolute_url(),
        "tag": content["tag"].get_absolute_url(),
        "author": content["author"].get_absolute_url(),
        "archive_year": reverse("blog:archive_year", args=[START.year]),
        "archive_month": reverse("blog:archive_month", args=[START.year, START.month]),
    }


def _assert_no_session_or_user_queries(captured):
    for query in captured.captured_queries:
        assert "django_session" not in query["sql"]
        assert "auth_user" not in query["sql"]


def test_budgets_and_query_shapes_name_the_same_queries():
    """A name no shape defines could never match; a shape no budget names is dead."""
    assert {name for budget in QUERY_BUDGETS.values() for name in budget} == set(QUERY_SHAPES)


@pytest.mark.parametrize("per_page", [20, 100])
@pytest.mark.parametrize("depth", ["first", "deep"])
@pytest.mark.parametrize("view_name", LIST_PAGES)
def test_list_view_query_count_is_flat(
    client, settings, cache_off, site_content, django_assert_num_queries, view_name, per_page, depth
):
    settings.BLOG_POSTS_PER_PAGE = per_page
    url = _list_urls(site_content)[view_name]
    query = site_content["deep_query"] if depth == "deep" else {}
    with django_assert_num_queries(len(QUERY_BUDGETS[view_name])) as captured:
        response = client.get(url, query)
    assert queries_run(captured) == QUERY_BUDGETS[view_name]
    assert response.status_code == 200
    assert response.content.count(b'class="teaser"') == per_page
    _assert_no_session_or_user_queries(captured)


@pytest.mark.parametrize("per_page", [20, 100])
@pytest.mark.parametrize("page_number", ["1", "2"])
def test_search_query_count_is_flat(
    client, settings, cache_off, site_content, django_assert_num_queries, per_page, page_number
):
    """No COUNT for the page links, whichever the page."""
    settings.BLOG_POSTS_PER_PAGE = per_page
    query = {"q": "harbour"} if page_number == "1" else {"page": page_number, "q": "harbour"}
    with django_assert_num_queries(len(QUERY_BUDGETS["search"])) as captured:
        response = client.get(reverse("blog:search"), query)
    assert queries_run(captured) == QUERY_BUDGETS["search"]
    assert response.status_code == 200
    assert response.content.count(b'class="teaser"') == per_page
    _assert_no_session_or_user_queries(captured)


def test_empty_search_runs_only_the_sections_query(client, cache_off, django_assert_num_queries, db):
    with django_assert_num_queries(1) as captured:
        response = client.get(reverse("blog:search"), {"q": "   "}, follow=True)
    assert queries_run(captured) == ("sections",)
    assert response.status_code == 200


def test_post_detail_query_count(client, cache_off, site_content, django_assert_num_queries):
    with django_assert_num_queries(len(QUERY_BUDGETS["post"])) as captured:
        response = client.get(site_content["post"].get_absolute_url())
    assert queries_run(captured) == QUERY_BUDGETS["post"]
    assert response.status_code == 200
    assert b"Related stories" in response.content
    assert b'rel="prev"' in response.content
    assert b'rel="next"' in response.content
    _assert_no_session_or_user_queries(captured)


@pytest.mark.parametrize("feed_name", ["blog:feed_rss", "blog:feed_atom"])
def test_feed_is_one_query(client, cache_off, site_content, django_assert_num_queries, feed_name):
    budget = QUERY_BUDGETS[feed_name.removeprefix("blog:")]
    with django_assert_num_queries(len(budget)) as captured:
        response = client.get(reverse(feed_name))
    assert queries_run(captured) == budget
    assert response.status_code == 200
    _assert_no_session_or_user_queries(captured)


def test_sitemap_index_query_count(client, cache_off, site_content, django_assert_num_queries):
    with django_assert_num_queries(len(QUERY_BUDGETS["sitemap"])) as captured:
        response = client.get(reverse("sitemap"))
    assert queries_run(captured) == QUERY_BUDGETS["sitemap"]
    assert response.status_code == 200


def test_sitemap_posts_section_query_count(client, cache_off, site_content, django_assert_num_queries):
    with django_assert_num_queries(len(QUERY_BUDGETS["sitemap_posts"])) as captured:
        response = client.get(reverse("sitemap_section", args=["posts"]))
    assert queries_run(captured) == QUERY_BUDGETS["sitemap_posts"]
    assert response.status_code == 200
    assert response.content.count(b"<url>") == LIST_POSTS


def test_sitemap_pages_section_is_one_query(client, cache_off, site_content, django_assert_num_queries):
    with django_assert_num_queries(len(QUERY_BUDGETS["sitemap_pages"])) as captured:
        response = client.get(reverse("sitemap_section", args=["pages"]))
    assert queries_run(captured) == QUERY_BUDGETS["sitemap_pages"]
    assert response.status_code == 200
    assert response.content.count(b"<url>") == 4  # one category, two tags, one author


def test_robots_txt_runs_no_query(client, django_assert_num_queries, db):
    with django_assert_num_queries(len(QUERY_BUDGETS["robots_txt"])):
        response = client.get(reverse("robots_txt"))
    assert response.status_code == 200
