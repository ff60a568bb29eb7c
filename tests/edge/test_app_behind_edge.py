"""The app itself behind the real varnishd and the project's VCL: its pages
are stored at the edge, and a publish or a retraction, committed like an
editor's, reaches the edge through the real Celery worker as a purge by key
of exactly the pages that show the post."""

from urllib.parse import urlsplit

import pytest

from apps.blog.models import Post
from project.services.processes import wait_until
from tests.support.varnish import needs_varnish, start_edge, stop_edge

pytestmark = needs_varnish


@pytest.fixture
def edge(live_server, transactional_db, tmp_path, settings):
    """Varnish in front of live_server; the app purges it as it would its edges."""
    process, edge = start_edge(
        tmp_path / "varnish", urlsplit(live_server.url).port, purgers=["127.0.0.1"], ready_path="/robots.txt"
    )
    settings.EDGE_PURGE_URLS = [edge.url]
    yield edge
    stop_edge(process)


@pytest.fixture
def newsroom(category_factory, author_factory, tag_factory, post_factory):
    """Two tags in one section: the retracted post shows on its tag's page, not the other's."""
    category, author = category_factory(), author_factory()
    harbour, council = (
        tag_factory(name="Harbour", slug="harbour"),
        tag_factory(name="Council", slug="council"),
    )
    older = [
        post_factory(title=f"Council story {n}", category=category, author=author, tags=[council])
        for n in range(3)
    ]
    retracted = post_factory(title="Harbour rumour", category=category, author=author, tags=[harbour])
    return {"retracted": retracted, "harbour": harbour, "council": council, "older": older}


def warm(edge, paths):
    """Each page stored at the edge, then read again: the edge's own copies."""
    for path in paths:
        edge.get(path)
    return {path: edge.get(path) for path in paths}


def test_a_made_up_session_cookie_reads_the_stored_page(edge, newsroom):
    edge.get("/")

    answer = edge.get("/", {"Cookie": "sessionid=0123456789abcdef0123456789abcdef"})

    assert answer.status == 200
    assert answer.headers["X-Cache"] == "hit"


def test_a_retraction_is_purged_from_exactly_the_pages_that_showed_it(edge, newsroom, celery_worker_thread):
    retracted = newsroom["retracted"]
    paths = [
        "/",
        retracted.get_absolute_url(),
        newsroom["harbour"].get_absolute_url(),
        newsroom["council"].get_absolute_url(),
        *(post.get_absolute_url() for post in newsroom["older"]),
    ]
    stored = warm(edge, paths)
    assert all(answer.headers["X-Cache"] == "hit" for answer in stored.values())
    showed_it = {path for path, answer in stored.items() if b"Harbour rumour" in answer.body}
    assert showed_it, "some pages show the post"
    assert showed_it != set(paths), "and some do not"

    Post.objects.filter(pk=retracted.pk).unpublish()

    assert wait_until(lambda: edge.get(retracted.get_absolute_url()).status == 404, timeout=20, interval=0.1)
    after = {path: edge.get(path) for path in paths if path != retracted.get_absolute_url()}
    assert {path: answer.headers["X-Cache"] for path, answer in after.items()} == {
        path: "miss" if path in showed_it else "hit" for path in after
    }
    assert not [path for path, answer in after.items() if b"Harbour rumour" in answer.body]


def test_a_publish_reaches_the_front_page_at_the_edge(edge, newsroom, post_factory, celery_worker_thread):
    stored = warm(edge, ["/", newsroom["council"].get_absolute_url()])
    draft = post_factory(
        title="Ferry back on time", status=Post.Status.DRAFT, category=newsroom["older"][0].category
    )
    assert b"Ferry back on time" not in stored["/"].body
    not_yet = [edge.get(draft.get_absolute_url()) for _ in range(2)]
    assert [(answer.status, answer.headers["X-Cache"]) for answer in not_yet] == [(404, "miss"), (404, "hit")]

    Post.objects.filter(pk=draft.pk).publish_now()

    assert wait_until(lambda: b"Ferry back on time" in edge.get("/").body, timeout=20, interval=0.1)
    assert wait_until(lambda: edge.get(draft.get_absolute_url()).status == 200, timeout=20, interval=0.1)
    council_page = edge.get(newsroom["council"].get_absolute_url())
    assert council_page.headers["X-Cache"] == "hit", "a list the post is not on keeps its stored copy"


def test_an_editors_flush_removes_the_page_from_the_edge(edge, newsroom, admin_client, celery_worker_thread):
    council_page = newsroom["council"].get_absolute_url()
    warm(edge, ["/", council_page])

    admin_client.get(
        f"{council_page}?flush-the-cache",
        headers={"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
    )

    assert wait_until(lambda: edge.get(council_page).headers["X-Cache"] == "miss", timeout=20, interval=0.1)
    assert edge.get("/").headers["X-Cache"] == "hit"
