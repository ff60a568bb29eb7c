"""Full-text search: ranked, highlighted, and calm about odd input."""

import pytest
from django.urls import reverse


def _search(client, text, **extra):
    """A search as a browser makes it, following the redirect to the query's one spelling."""
    return client.get(reverse("blog:search"), {"q": text, **extra}, follow=True)


def test_title_matches_rank_above_body_matches(client, post_factory):
    body_match = post_factory(title="Council notes", body="The tram depot was discussed.")
    title_match = post_factory(title="Tram depot reopens", body="Nothing else.")
    content = _search(client, "tram").content.decode()
    assert content.index(title_match.title) < content.index(body_match.title)


def test_snippet_highlights_matches_and_escapes_the_body(client, post_factory):
    """The snippet comes from the raw Markdown, so only our <mark> may be markup."""
    post_factory(title="Harbour", body="The <b>ferries</b> cost 3 < 4 & the ferry timetable.")
    content = _search(client, "ferry").content.decode()
    assert "cost 3 &lt; 4 &amp; the <mark>ferry</mark> timetable" in content
    assert "<mark>ferries</mark>" in content
    assert "<b>" not in content


def test_stemming_matches_other_forms(client, post_factory):
    post = post_factory(title="Elections", body="Voters were voting all day.")
    assert post.title.encode() in _search(client, "vote").content


@pytest.mark.parametrize(
    "search_text",
    [
        "",
        "   ",
        "!!!",
        "a & b | c",
        "'\"\\",
        "(unbalanced",
        "-",
        "the",
        "café naïve 東京",
        "null\x00byte",
        "<script>alert(1)</script>",
        "x" * 5000,
        "word " * 2000,
    ],
)
def test_odd_search_text_never_errors(client, post_factory, search_text):
    post_factory()
    response = _search(client, search_text)
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


def test_very_long_search_text_is_cut(client, db):
    response = _search(client, "harbour " * 100)
    assert response.status_code == 200
    assert response.context["search_text"] == " ".join(["harbour"] * 25)


def test_search_form_is_on_every_page(client, post_factory):
    post = post_factory()
    for url in [reverse("blog:home"), post.get_absolute_url(), post.category.get_absolute_url()]:
        assert b'role="search" action="/search/"' in client.get(url).content


def test_search_pages_link_with_rel_next_and_prev(client, settings, published_posts):
    settings.BLOG_POSTS_PER_PAGE = 5
    published_posts(12)
    first = _search(client, "harbour").content.decode()
    assert 'rel="next" href="?q=harbour&amp;page=2"' in first
    second = _search(client, "harbour", page="2").content.decode()
    assert 'rel="prev" href="?q=harbour"' in second


@pytest.mark.parametrize("page", ["0", "abc", "-1", "21", "9" * 30])
def test_bad_search_page_is_404(client, db, page):
    assert _search(client, "harbour", page=page).status_code == 404


def test_search_page_past_the_results_is_404(client, post_factory):
    post_factory()
    assert _search(client, "harbour", page="3").status_code == 404
