"""Full-text search: ranked, highlighted, and calm about odd input."""

import subprocess
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.blog import views
from apps.blog.querysets import PostQuerySet
from apps.blog.search import SEARCH_CONFIG, SEARCH_MAX_TERMS, STOP_WORDS
from apps.security import ratelimit
from project.services.postgres import pg_binary


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
    """Answered, or refused with a reason (400): never a 500."""
    post_factory()
    response = _search(client, search_text)
    assert response.status_code in (200, 400)
    assert b"<script>alert(1)</script>" not in response.content


def test_very_long_search_text_is_cut(client, db):
    response = _search(client, "harbour" * 100)
    assert response.status_code == 200
    assert response.context["search_text"] == ("harbour" * 100)[:200]


def test_search_form_is_on_every_page(client, post_factory):
    post = post_factory()
    for url in [reverse("blog:home"), post.get_absolute_url(), post.category.get_absolute_url()]:
        assert b'role="search" action="/search/"' in client.get(url).content


def test_search_pages_link_with_rel_next_and_prev(client, settings, published_posts):
    settings.BLOG_POSTS_PER_PAGE = 5
    published_posts(12)
    first = _search(client, "harbour").content.decode()
    assert 'rel="next" href="?page=2&amp;q=harbour"' in first
    second = _search(client, "harbour", page="2").content.decode()
    assert 'rel="prev" href="?q=harbour"' in second


@pytest.mark.parametrize("page", ["0", "abc", "-1", "11", "21", "9" * 30])
def test_bad_search_page_is_404(client, db, page):
    assert _search(client, "harbour", page=page).status_code == 404


def test_search_page_past_the_results_is_404(client, post_factory):
    post_factory()
    assert _search(client, "harbour", page="3").status_code == 404


def _post_queries(captured):
    """Queries of posts (the header's sections query reads categories, with an EXISTS on posts)."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if 'FROM "blog_post"' in query["sql"] and 'FROM "blog_category"' not in query["sql"]
    ]


@pytest.mark.parametrize("search_text", ["-zzz1", "-harbour -ferry", "!!!", '-"a phrase"', "OR or"])
def test_search_with_no_word_to_look_for_is_refused_without_a_query(client, post_factory, search_text):
    """A negation-only query matches almost every post: refused before the database, with the reason."""
    post_factory()
    with CaptureQueriesContext(connection) as captured:
        response = _search(client, search_text)
    assert response.status_code == 400
    assert "Search for at least one word" in response.content.decode()
    assert response.context["search_text"] == search_text
    assert _post_queries(captured) == []


def test_search_with_too_many_words_is_refused_without_a_query(client, post_factory):
    post_factory()
    words = " OR ".join(f"word{number}" for number in range(SEARCH_MAX_TERMS + 1))
    with CaptureQueriesContext(connection) as captured:
        response = _search(client, words)
    assert response.status_code == 400
    assert f"at most {SEARCH_MAX_TERMS} words" in response.content.decode()
    assert _post_queries(captured) == []


def test_search_with_the_most_words_allowed_is_answered(client, post_factory):
    post = post_factory(title="Harbour", body="The ferry timetable.")
    words = " OR ".join(["ferry", *(f"word{number}" for number in range(SEARCH_MAX_TERMS - 1))])
    response = _search(client, words)
    assert response.status_code == 200
    assert post.title in response.content.decode()


@pytest.fixture
def slow_search(monkeypatch):
    """Every search query takes 300 ms in PostgreSQL, against a 50 ms statement timeout."""
    search = PostQuerySet.search

    def slow(self, *args, **kwargs):
        return search(self, *args, **kwargs).filter(id__gt=RawSQL("(SELECT 0 FROM pg_sleep(0.3))", []))

    monkeypatch.setattr(PostQuerySet, "search", slow)
    monkeypatch.setattr(views, "SEARCH_STATEMENT_TIMEOUT_MS", 50)


def test_search_over_the_statement_timeout_asks_for_a_narrower_search(client, post_factory, slow_search):
    post_factory(title="Harbour")
    response = _search(client, "harbour")
    assert response.status_code == 503
    assert "Try a narrower search" in response.content.decode()
    # The timeout was local to the search: the connection still serves queries.
    assert _search(client, "harbour").status_code == 503
    assert client.get(reverse("blog:home")).status_code == 200


def test_search_timeout_is_local_to_its_transaction(client, transactional_db, post_factory):
    """Outside a test's own transaction, as served: SET LOCAL ends with the search."""
    post_factory(title="Harbour")
    assert _search(client, "harbour").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout')::interval")
        web_limit_ms = settings.DATABASE_SESSION_LIMITS_MS["web"]["statement_timeout"]
        assert cursor.fetchone()[0].total_seconds() * 1000 == web_limit_ms


@pytest.fixture
def frozen_rate_limit_clock(monkeypatch):
    """30 seconds into a rate-limit window, for the whole test: no window ends mid-flood."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 60 * 28_333_333 + 30.0))


def test_search_flood_from_one_address_gets_429s_not_queries(client, post_factory, frozen_rate_limit_clock):
    post_factory(title="Harbour")
    answered = [_search(client, f"harbour{number}").status_code for number in range(views.SEARCH_RATE_LIMIT)]
    with CaptureQueriesContext(connection) as captured:
        flood = [_search(client, f"ferry{number}") for number in range(20)]
    assert answered == [200] * views.SEARCH_RATE_LIMIT
    assert {response.status_code for response in flood} == {429}
    assert flood[0]["Retry-After"] == "30"
    assert "no-store" in flood[0]["Cache-Control"]
    assert captured.captured_queries == []
    # Another address is not limited by this one's flood.
    other_address = client.get(reverse("blog:search"), {"q": "harbour"}, REMOTE_ADDR="192.0.2.7")
    assert other_address.status_code == 200


def test_search_is_served_when_the_rate_limiter_cannot_reach_redis(client, post_factory, settings):
    """The limiter fails open, like the cache: a dead Redis is no reason to refuse readers."""
    post = post_factory(title="Harbour")
    dead_port = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": dead_port}}
    searches = views.SEARCH_RATE_LIMIT + 2
    responses = [_search(client, f"harbour{number}") for number in range(searches)]
    assert [response.status_code for response in responses] == [200] * searches
    assert post.title in _search(client, "harbour").content.decode()


@pytest.mark.parametrize(
    ("search_text", "reason"),
    [
        ("the", "not too common to search for"),
        ("the -zzz", "not too common to search for"),
        ('"to be or not to be"', "not too common to search for"),
        ("harbour -harbour", "you do not also exclude"),
        ("Harbour -harbour", "you do not also exclude"),
        ('"the harbour" -harbour', "you do not also exclude"),
    ],
    ids=[
        "the",
        "the -zzz",
        '"to be or not to be"',
        "harbour -harbour",
        "Harbour -harbour",
        '"the harbour" -harbour',
    ],
)
def test_search_with_only_stop_words_or_only_excluded_words_is_refused_without_sql(
    client, db, search_text, reason, django_assert_num_queries
):
    """`the -zzz` is `-zzz` once the stop word is dropped: almost every post. No SQL runs."""
    url = f"{reverse('blog:search')}?{urlencode({'q': search_text})}"
    client.get(reverse("blog:home"))  # the header's sections, cached as on any warm page
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 400
    assert reason in response.content.decode()


def test_a_stop_word_beside_a_real_word_is_searched(client, post_factory):
    post = post_factory(title="The harbour")
    assert post.title in _search(client, "the harbour -ferry").content.decode()


def test_stop_words_are_the_servers_own_list(db):
    """The list is kept in Python so that refusing costs no query: it must be PostgreSQL's."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_tsvector(%s, %s)::text", [SEARCH_CONFIG, " ".join(sorted(STOP_WORDS))])
        assert cursor.fetchone()[0] == ""
    share_dir = subprocess.run(
        [pg_binary("pg_config"), "--sharedir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    stop_file = Path(share_dir) / "tsearch_data" / "english.stop"
    assert set(stop_file.read_text().split()) == STOP_WORDS
