"""The site's pages with the cache on: Russian-doll fragments, key-based
expiration through the admin, warm pages without SQL, the flush parameter and
the HTTP validators. Cold counts here are with an empty cache; the site's
cache-off budgets live in tests/blog/test_query_counts.py."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from apps.blog.models import Post
from apps.caching.invalidation import flush_page
from apps.caching.keys import FLUSH_PARAM
from tests.support.budgets import QUERY_BUDGETS, queries_run
from tests.support.navigation import A_FETCH_CALL, AN_IMAGE_TAG, TOP_LEVEL_NAVIGATION
from tests.support.pages import opened_form_data, page_urls, post_form_data


@pytest.mark.parametrize("page_name", sorted(QUERY_BUDGETS))
def test_warm_anonymous_page_runs_no_sql(client, site, django_assert_num_queries, page_name):
    url = page_urls(site)[page_name]
    with django_assert_num_queries(len(QUERY_BUDGETS[page_name])) as captured:
        cold = client.get(url)
    assert queries_run(captured) == QUERY_BUDGETS[page_name]
    with django_assert_num_queries(0):
        warm = client.get(url)

    assert cold.status_code == warm.status_code == 200
    assert warm.content == cold.content


def test_list_version_change_rebuilds_the_list_but_reuses_unchanged_teasers(
    client, site, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Russian doll: after a new post, the home page runs its list query (and
    the header's sections, keyed on the list version too), and only the new
    post's teaser is rendered; the others come from the cache."""
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        Post.objects.create(
            title="Fresh story",
            slug="fresh-story",
            author=site["author"],
            category=site["category"],
            body="New.",
            status=Post.Status.PUBLISHED,
            published_at=timezone.now(),
        )

    with django_assert_num_queries(len(QUERY_BUDGETS["home"])) as captured:
        response = client.get("/")
    assert queries_run(captured) == QUERY_BUDGETS["home"]

    assert b"Fresh story" in response.content
    teaser_keys = cache.keys("fragment:post_teaser:*")
    assert len(teaser_keys) == 4


def admin_post(admin_client, capture_on_commit, url, data):
    with capture_on_commit(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""


RENAMES = {
    # what is renamed: (admin form data, pages showing it, old text, new text)
    "author": (lambda author: {"name": "Ada Lovelace", "slug": author.slug, "bio": author.bio,
                               **opened_form_data(author)},
               ("home", "post", "category", "feed_atom"), "Ada Byline", "Ada Lovelace"),
    "category": (lambda category: {"name": "Waterfront", "slug": category.slug, "position": 0,
                                   **opened_form_data(category)},
                 ("home", "post", "tag"), ">Harbour<", "Waterfront"),
    "tag": (lambda tag: {"name": "Boats", "slug": tag.slug, **opened_form_data(tag)},
            ("home", "post", "author"), ">Ferries<", ">Boats<"),
}  # fmt: skip


@pytest.mark.parametrize("renamed", sorted(RENAMES))
def test_a_rename_in_admin_shows_on_the_next_anonymous_request(
    client, admin_client, site, django_capture_on_commit_callbacks, renamed
):
    """Key-based expiration reaches every page that shows the renamed row:
    its posts get a new last_modified and the lists a new version."""
    form_data, page_names, old_text, new_text = RENAMES[renamed]
    row = site[renamed]
    pages = [page_urls(site)[name] for name in page_names]
    for url in pages:
        client.get(url)

    admin_post(
        admin_client,
        django_capture_on_commit_callbacks,
        reverse(f"admin:blog_{renamed}_change", args=[row.pk]),
        form_data(row),
    )

    for url in pages:
        content = client.get(url).content.decode()
        assert new_text in content, url
        assert old_text not in content, url


def test_post_edit_in_admin_shows_on_lists_and_its_page(
    client, admin_client, site, django_capture_on_commit_callbacks
):
    post = site["posts"][1]
    pages = [page_urls(site)["home"], post.get_absolute_url()]
    for url in pages:
        client.get(url)

    admin_post(
        admin_client,
        django_capture_on_commit_callbacks,
        reverse("admin:blog_post_change", args=[post.pk]),
        post_form_data(post, title="Corrected headline", body="Corrected **body**."),
    )

    home, detail = (client.get(url).content.decode() for url in pages)
    assert "Corrected headline" in home
    assert "Corrected headline" in detail
    assert "<strong>body</strong>" in detail


def test_publishing_a_draft_in_admin_shows_it_on_the_lists(
    client, admin_client, site, django_capture_on_commit_callbacks
):
    draft = site["draft"]
    client.get("/")
    client.get(site["category"].get_absolute_url())

    admin_post(
        admin_client,
        django_capture_on_commit_callbacks,
        reverse("admin:blog_post_change", args=[draft.pk]),
        post_form_data(
            draft,
            status=Post.Status.PUBLISHED,
            published_at_0=timezone.now().strftime("%Y-%m-%d"),
            published_at_1="00:00:00",
        ),
    )

    assert b"Secret draft" in client.get("/").content
    assert b"Secret draft" in client.get(site["category"].get_absolute_url()).content
    assert client.get(reverse("blog:post", args=[draft.slug])).status_code == 200


@pytest.mark.parametrize("action", ["unpublish", "delete_selected"])
def test_unpublishing_or_deleting_in_admin_removes_the_post_from_lists_and_its_page(
    client, admin_client, site, django_capture_on_commit_callbacks, action
):
    post = site["posts"][0]
    client.get("/")
    client.get(post.get_absolute_url())

    data = {"action": action, "_selected_action": [post.pk]}
    if action == "delete_selected":
        data["post"] = "yes"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:blog_post_changelist"), data)

    assert post.title.encode() not in client.get("/").content
    assert client.get(post.get_absolute_url()).status_code == 404


def test_bulk_publish_action_shows_the_posts_on_the_lists(
    client, admin_client, site, django_capture_on_commit_callbacks
):
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:blog_post_changelist"),
            {"action": "publish", "_selected_action": [site["draft"].pk]},
        )

    assert b"Secret draft" in client.get("/").content


def test_anonymous_flush_parameter_is_ignored(client, site, django_assert_num_queries):
    """An open flush parameter would let anyone make every request render uncached."""
    client.get("/")
    Post.objects.filter(pk=site["posts"][0].pk).update(title="Changed behind the cache")

    with django_assert_num_queries(0):
        response = client.get("/", {FLUSH_PARAM: ""})

    assert b"Changed behind the cache" not in response.content


def test_staff_flush_parameter_rebuilds_and_stores_every_fragment_of_the_page(client, admin_client, site):
    client.get("/")
    Post.objects.filter(pk=site["posts"][0].pk).update(title="Changed behind the cache")

    flushed = admin_client.get("/", {FLUSH_PARAM: ""}, headers=TOP_LEVEL_NAVIGATION)
    after_flush = client.get("/")

    assert b"Changed behind the cache" in flushed.content
    assert b"Changed behind the cache" in after_flush.content
    assert FLUSH_PARAM.encode() not in flushed.content


@pytest.mark.parametrize(
    "fetch_metadata",
    [AN_IMAGE_TAG, A_FETCH_CALL, {}],
    ids=["an image tag", "a fetch call", "no fetch metadata"],
)
def test_staff_flush_parameter_flushes_only_on_a_top_level_navigation(
    client, admin_client, site, fetch_metadata
):
    """`![](/?flush-the-cache)` in a post's body must not flush the home page for
    every editor who reads that post."""
    client.get("/")
    Post.objects.filter(pk=site["posts"][0].pk).update(title="Changed behind the cache")

    admin_client.get("/", {FLUSH_PARAM: ""}, headers=fetch_metadata)

    assert b"Changed behind the cache" not in client.get("/").content


def test_flush_page_function_rebuilds_the_page_on_its_next_request(client, site):
    post = site["posts"][0]
    client.get(post.get_absolute_url())
    Post.objects.filter(pk=post.pk).update(body_html="<p>Corrected quietly.</p>")

    flush_page(post.get_absolute_url())

    assert b"Corrected quietly." in client.get(post.get_absolute_url()).content


def test_unknown_query_parameters_never_enter_a_key_or_a_link(
    client, published_posts, django_assert_num_queries, settings
):
    settings.BLOG_POSTS_PER_PAGE = 2
    published_posts(3)
    client.get("/")
    keys_before = set(cache.keys("*"))

    with django_assert_num_queries(0):
        response = client.get("/", {"utm_source": "newsletter", "anything": "random"})

    assert set(cache.keys("*")) == keys_before
    assert b"utm_source" not in response.content
    assert b"anything" not in response.content


def test_junk_parameters_on_a_cold_page_stay_out_of_cached_links(client, published_posts, settings):
    settings.BLOG_POSTS_PER_PAGE = 2
    published_posts(3)

    client.get("/", {"utm_source": "newsletter"})
    response = client.get("/")

    assert b'rel="next" href="?after=' in response.content
    assert b"utm_source" not in response.content


def test_staff_preview_never_writes_fragments(admin_client, site):
    admin_client.get(reverse("blog:preview", args=[site["draft"].pk]), {FLUSH_PARAM: ""})

    assert cache.keys("fragment:*") == []


def test_staff_pages_read_fragments_but_do_not_write_them(client, admin_client, site):
    admin_client.get("/")
    assert cache.keys("fragment:*") == []

    client.get("/")
    staff_view = admin_client.get("/")
    assert b"Ada Byline" in staff_view.content


def test_scheduled_post_going_live_shows_on_the_lists(
    client, site, post_factory, django_capture_on_commit_callbacks
):
    scheduled = post_factory(
        title="Timed embargo", status=Post.Status.SCHEDULED, category=site["category"], author=site["author"]
    )
    client.get("/")
    assert b"Timed embargo" not in client.get("/").content

    with django_capture_on_commit_callbacks(execute=True):
        assert Post.objects.publish_due(now=timezone.now()) == 1

    assert b"Timed embargo" in client.get("/").content
    assert client.get(scheduled.get_absolute_url()).status_code == 200


def test_tag_deleted_in_admin_leaves_every_teaser(
    client, admin_client, site, django_capture_on_commit_callbacks
):
    tag = site["tag"]
    client.get("/")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:blog_tag_delete", args=[tag.pk]), {"post": "yes"})

    assert b">Ferries<" not in client.get("/").content
