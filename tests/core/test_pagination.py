"""Keyset and count-free offset pages: walking, laziness, and 404 for bad input."""

import datetime

import pytest
from django.http import Http404, QueryDict

from apps.blog.models import Post
from apps.core.pagination import KeysetPage, OffsetPage, decode_cursor, encode_cursor


def _params(**values):
    query_params = QueryDict(mutable=True)
    query_params.update(values)
    return query_params


def _walk_older(queryset, per_page):
    """Every page's ids, following next_query links from the first page."""
    pages, query_params = [], QueryDict()
    while True:
        page = KeysetPage(queryset, query_params, per_page)
        pages.append([post.id for post in page])
        if not page.has_next:
            return pages
        query_params = QueryDict(page.next_query.lstrip("?"))


def test_cursor_round_trips_to_the_microsecond():
    published_at = datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=datetime.UTC)
    assert decode_cursor(encode_cursor(published_at, 42)) == (published_at, 42)


@pytest.mark.parametrize(
    "bad_cursor",
    ["abc", "", "0", "-5.1", "1.-1", "1.2.3", "99999999999999999999.1", "1." + "9" * 19, "1,2", " 1.2"],
)
def test_malformed_or_out_of_range_cursor_is_404(bad_cursor):
    with pytest.raises(Http404):
        KeysetPage(Post.objects.none(), _params(after=bad_cursor), per_page=20)


def test_after_and_before_together_are_404():
    with pytest.raises(Http404):
        KeysetPage(Post.objects.none(), _params(after="1.1", before="1.1"), per_page=20)


def test_building_a_page_runs_no_query(published_posts, django_assert_num_queries):
    """The view hands the page to the template; the template's first touch queries, once."""
    newest = published_posts(3)[0]
    with django_assert_num_queries(0):
        page = KeysetPage(
            Post.objects.published(), _params(after=encode_cursor(newest.published_at, newest.id)), 5
        )
    with django_assert_num_queries(1):
        assert len(page) == 2
        assert not page.has_next
        assert page.has_previous


def test_walking_older_pages_visits_every_post_once_even_with_equal_dates(published_posts, db):
    """Ties on published_at are broken by id inside the key, never by an offset."""
    posts = published_posts(23)
    same_moment = posts[5].published_at
    Post.objects.filter(id__in=[post.id for post in posts[3:12]]).update(published_at=same_moment)
    pages = _walk_older(Post.objects.published(), per_page=5)
    assert [len(ids) for ids in pages] == [5, 5, 5, 5, 3]
    walked = [post_id for ids in pages for post_id in ids]
    assert walked == list(Post.objects.published().values_list("id", flat=True))


def test_previous_page_link_leads_back_to_the_same_posts(published_posts):
    published_posts(12)
    queryset = Post.objects.published()
    first = KeysetPage(queryset, QueryDict(), per_page=5)
    second = KeysetPage(queryset, QueryDict(first.next_query.lstrip("?")), per_page=5)
    back = KeysetPage(queryset, QueryDict(second.previous_query.lstrip("?")), per_page=5)
    assert [post.id for post in back] == [post.id for post in first]
    assert not back.has_previous
    assert back.has_next


def test_page_past_the_end_is_404(published_posts):
    posts = published_posts(3)
    oldest = posts[-1]
    page = KeysetPage(
        Post.objects.published(), _params(after=encode_cursor(oldest.published_at, oldest.id)), 5
    )
    with pytest.raises(Http404):
        list(page)


def test_empty_first_page_is_not_an_error(db):
    page = KeysetPage(Post.objects.published(), QueryDict(), per_page=5)
    assert list(page) == []
    assert not page.has_other_pages


def test_next_query_keeps_other_parameters(published_posts):
    published_posts(3)
    page = KeysetPage(Post.objects.published(), _params(q="harbour"), per_page=2)
    assert page.next_query.startswith("?after=")
    assert page.next_query.endswith("&q=harbour")
    assert page.canonical_query == ""


@pytest.mark.parametrize("bad_number", ["abc", "0", "-1", "1.5", "21", "99999999999999999999", "\u0661"])
def test_offset_page_rejects_bad_numbers_with_404(bad_number):
    with pytest.raises(Http404):
        OffsetPage(Post.objects.none(), _params(page=bad_number), per_page=20, max_pages=20)


def test_offset_page_knows_its_next_page_without_counting(published_posts, django_assert_num_queries):
    published_posts(7)
    queryset = Post.objects.published()
    with django_assert_num_queries(1) as captured:
        page = OffsetPage(queryset, _params(page="2"), per_page=3, max_pages=20)
        assert len(page) == 3
        assert page.has_next
    assert "COUNT" not in captured.captured_queries[0]["sql"]
    assert page.previous_query == "?"
    assert page.next_query == "?page=3"
