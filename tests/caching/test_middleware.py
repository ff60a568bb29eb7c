"""Layers 1-3 in PageCacheMiddleware: warm anonymous pages answered before
sessions, authentication and URL resolution; every spelling of a page's URL
but one redirected, so one page is stored once."""

import datetime

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.blog.models import Post
from apps.blog.sitemaps import PostSitemap
from apps.caching.list_version import bump_list_version
from apps.caching.process_cache import process_cache
from apps.core.pagination import encode_cursor


@pytest.fixture
def posts(published_posts, author_factory, category_factory, tag_factory):
    return published_posts(30, author=author_factory(), category=category_factory(), tags=[tag_factory()])


def response_keys():
    return cache.keys("response:*")


def test_a_warm_page_is_answered_before_sessions_authentication_and_the_view(client, posts):
    cold = client.get("/")
    process_cache.clear()

    warm = client.get("/")

    assert warm.content == cold.content
    # The inner middleware never ran: no session, no user on the request.
    assert hasattr(cold.wsgi_request, "user")
    assert not hasattr(warm.wsgi_request, "user")
    assert not hasattr(warm.wsgi_request, "session")


def test_a_stored_page_keeps_the_headers_of_every_middleware_it_skips(client, posts):
    cold = client.get("/")
    process_cache.clear()
    warm = client.get("/")

    for header in ("Content-Type", "Cache-Control", "ETag", "Last-Modified", "Vary", "X-Frame-Options"):
        assert warm[header] == cold[header], header
    assert warm["Vary"] == "Cookie"


def test_a_conditional_request_gets_304_from_the_middleware(client, posts):
    etag = client.get("/")["ETag"]
    process_cache.clear()

    response = client.get("/", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response["Cache-Control"]
    assert not hasattr(response.wsgi_request, "user")


def test_a_request_with_a_session_cookie_goes_to_the_view(client, admin_client, posts):
    client.get("/")

    staff = admin_client.get("/")

    assert hasattr(staff.wsgi_request, "user")
    assert "private" in staff["Cache-Control"]
    assert len(response_keys()) == 1


def test_staff_pages_are_never_stored(admin_client, posts):
    admin_client.get("/")

    assert response_keys() == []


def test_a_page_is_stored_once_however_often_the_lists_change(client, posts):
    for _ in range(5):
        client.get("/")
        bump_list_version()
    client.get("/")

    assert len(response_keys()) == 1
    assert len(cache.keys("fragment:post_list:*")) == 1


def test_a_publish_is_on_the_next_anonymous_request(
    client, posts, post_factory, django_capture_on_commit_callbacks
):
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        post_factory(title="Breaking news", published_at=timezone.now())

    assert b"Breaking news" in client.get("/").content


def spellings(posts):
    """Other spellings of the home page after the 10th post, and of the first search and sitemap pages."""
    tenth = Post.objects.published().order_by("-published_at", "-id")[9]
    cursor = encode_cursor(tenth.published_at, tenth.pk)
    canonical = f"/?after={cursor}"
    return canonical, [
        f"/?after=JUNK&after={cursor}",
        f"/?after=0{cursor}",
        f"/?after={cursor}&utm_source=newsletter",
        f"/?utm_source=x&after={cursor}",
        f"/?after={cursor}&flush-the-cache",
    ]


def test_every_other_spelling_of_a_page_is_redirected_to_the_canonical_url(client, posts):
    canonical, other_spellings = spellings(posts)

    for spelling in other_spellings:
        response = client.get(spelling)
        assert response.status_code == 301, spelling
        assert response["Location"] == canonical, spelling
    assert response_keys() == []
    assert client.get(canonical).status_code == 200
    assert len(response_keys()) == 1


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("/search/?q=news%20%20", "/search/?q=news"),
        ("/search/?q=%20news", "/search/?q=news"),
        ("/search/?q=news&page=01", "/search/?q=news"),
        ("/search/?q=news&page=02", "/search/?page=2&q=news"),
        ("/search/?q=news&page=2", "/search/?page=2&q=news"),
        ("/search/?q=", "/search/"),
        ("/sitemap-posts.xml?p=01", "/sitemap-posts.xml"),
        ("/sitemap-posts.xml?p=x&p=1", "/sitemap-posts.xml"),
        ("/feeds/atom/?format=json", "/feeds/atom/"),
        ("/?flush-the-cache", "/"),
    ],
)
def test_search_sitemap_and_feed_spellings_are_redirected(client, posts, spelling, canonical):
    response = client.get(spelling)

    assert response.status_code == 301
    assert response["Location"] == canonical
    assert response_keys() == []


@pytest.mark.parametrize(
    "query",
    [
        "/?after=12.34%0A",
        "/?after=%D9%A1%D9%A2.3",
        "/?after=-1.2",
        "/?before=1.2&after=1.2",
        "/search/?q=news&page=0",
        "/search/?q=news&page=1000000",
        "/sitemap-posts.xml?p=-1",
        "/sitemap-posts.xml?p=+1",
    ],
)
def test_malformed_page_parameters_are_404_not_stored(client, posts, query):
    response = client.get(query, follow=True)

    assert response.status_code == 404
    assert response_keys() == []


def test_a_page_past_the_last_one_is_never_stored(client, posts):
    oldest = Post.objects.published().order_by("published_at", "id").first()

    response = client.get("/", {"after": encode_cursor(oldest.published_at, oldest.pk)})

    assert response.status_code == 404
    assert response_keys() == []


def test_a_made_up_cursor_is_a_404_and_never_stored(client, posts, post_factory, category_factory):
    """Every list URL that answers 200 is a real page: its cursor names a row of that list."""
    newest = Post.objects.published().order_by("-published_at", "-id").first()
    newest_microseconds = encode_cursor(newest.published_at, newest.pk).split(".")[0]
    draft = post_factory(status=Post.Status.DRAFT)
    elsewhere = post_factory(category=category_factory())
    made_up = [f"99999999999999999.{number}" for number in range(1, 100)]
    made_up += [f"{newest_microseconds}.{newest.pk + number}" for number in range(1, 100)]
    made_up.append(encode_cursor(draft.published_at or timezone.now(), draft.pk))

    statuses = {
        client.get("/", {direction: cursor}).status_code
        for cursor in made_up
        for direction in ("after", "before")
    }
    in_another_list = client.get(
        posts[0].category.get_absolute_url(), {"after": encode_cursor(elsewhere.published_at, elsewhere.pk)}
    )

    assert statuses == {404}
    assert in_another_list.status_code == 404
    assert response_keys() == []


def test_a_real_cursor_still_pages_through_the_whole_list(client, posts, settings):
    settings.BLOG_POSTS_PER_PAGE = 7
    seen, query = [], {}
    while True:
        page = client.get("/", query).context["page"]
        seen += [post.pk for post in page]
        if not page.has_next:
            break
        query = {"after": page.next_query.removeprefix("?after=")}

    assert seen == list(
        Post.objects.published().order_by("-published_at", "-id").values_list("pk", flat=True)
    )


def test_sitemap_files_are_id_ranges_and_past_the_last_is_a_404(client, posts, monkeypatch):
    """Every published post is in exactly one file of at most `limit` URLs; a
    file past the last one is a 404 and nothing is stored for it."""
    monkeypatch.setattr(PostSitemap, "limit", 7)
    published_ids = Post.objects.published().values_list("pk", flat=True)
    last_page = -(-(max(published_ids) - min(published_ids) + 1) // 7)
    listed = []
    for number in range(1, last_page + 1):
        response = client.get(reverse("sitemap_section", args=["posts"]), {"p": number} if number > 1 else {})
        assert response.status_code == 200
        assert len(response.context["urlset"]) <= 7
        listed += [url["item"].pk for url in response.context["urlset"]]
    response_keys_before = sorted(response_keys())

    past = [
        client.get(reverse("sitemap_section", args=["posts"]), {"p": number}).status_code
        for number in (last_page + 1, 999_999)
    ]

    assert sorted(listed) == sorted(published_ids)
    assert past == [404, 404]
    assert sorted(response_keys()) == response_keys_before


def test_archive_years_and_months_without_a_published_post_are_404_not_stored(client, posts):
    newest = Post.objects.published().order_by("-published_at").first().published_at
    draft_month = newest + datetime.timedelta(days=400)
    Post.objects.filter(pk=posts[0].pk).update(status=Post.Status.DRAFT, published_at=draft_month)
    empty = ["/archive/0001/", "/archive/0001/01/", "/archive/9998/12/", f"/archive/{newest.year + 5}/"]
    empty.append(reverse("blog:archive_month", args=[draft_month.year, draft_month.month]))

    statuses = [client.get(path).status_code for path in empty]
    real = client.get(reverse("blog:archive_month", args=[newest.year, newest.month]))

    assert statuses == [404] * len(empty)
    assert real.status_code == 200
    assert len(response_keys()) == 1


def test_post_requests_pass_through(client, posts):
    response = client.post("/")

    assert response.status_code == 405
    assert response_keys() == []


def test_cache_switch_off_leaves_the_middleware_out(client, posts, settings):
    settings.CACHE_ENABLED = False

    client.get("/")
    response = client.get("/")

    assert hasattr(response.wsgi_request, "user")
    assert response_keys() == []


def test_reverse_of_list_pages_is_canonical(posts):
    """Links the site makes are the canonical spelling (no redirect for readers)."""
    assert reverse("blog:home") == "/"


def test_another_spelling_of_the_host_shares_the_one_copy(client, posts):
    """`Host: site:31337` passes ALLOWED_HOSTS (it ignores ports); it must not
    make a new copy, nor put its port in the page (absolute URLs use SITE_URL)."""
    first = client.get("/")
    process_cache.clear()

    other_port = client.get("/", headers={"host": "testserver:31337"})

    assert other_port.content == first.content
    assert b"31337" not in other_port.content
    assert len(response_keys()) == 1


def test_a_host_that_is_not_allowed_is_refused_even_for_a_stored_page(client, posts):
    client.get("/")

    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


@pytest.mark.parametrize("made_up", ["x", "", "a" * 32, "a" * 10_000])
def test_a_made_up_session_cookie_gets_the_shared_page_with_no_sql(client, posts, made_up):
    client.get("/")
    client.cookies[settings.SESSION_COOKIE_NAME] = made_up
    client.cookies["broadsheet_signed_in"] = "forged:marker"

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")

    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "user")
    assert len(queries) == 0
    assert len(response_keys()) == 1


def test_a_real_login_sets_the_marker_and_logout_clears_it(client, admin_user):
    from apps.security.signed_in import SIGNED_IN_COOKIE, is_signed_in

    client.post("/admin/login/", {"username": admin_user.username, "password": "password"})
    assert client.cookies[SIGNED_IN_COOKIE].value
    assert is_signed_in(client.get("/admin/").wsgi_request)

    client.post("/admin/logout/")
    assert not client.cookies[SIGNED_IN_COOKIE].value
