import datetime
import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.blog.admin import PostAdmin
from apps.blog.models import Post
from apps.core.admin_paginators import ApproximateCountPaginator

CHANGELIST_URL = "/admin/blog/post/"
COUNT_OF_POSTS = re.compile(r"SELECT COUNT\(\*\).*FROM \"blog_post\"", re.IGNORECASE | re.DOTALL)


def analyze_posts():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE blog_post")


@pytest.fixture
def editors_group(db):
    """The group as the data migration makes it.

    Run here too: a transactional test's flush empties auth_group, and with
    --reuse-db a later session would find no group; the function is idempotent.
    """
    migration = importlib.import_module("apps.blog.migrations.0003_editors_group")
    migration.grant_blog_permissions(django_apps, schema_editor=None)
    importlib.import_module(
        "apps.blog.migrations.0008_editors_flush_and_images"
    ).grant_flush_and_image_permissions(django_apps, schema_editor=None)
    body_images_migration = importlib.import_module("apps.blog.migrations.0013_post_body_images")
    body_images_migration.grant_editors_the_image_library_view(django_apps, schema_editor=None)
    return Group.objects.get(name=migration.EDITORS_GROUP)


@pytest.fixture
def editor_client(client, editors_group):
    editor = User.objects.create_user("editor", password="editor-password", is_staff=True)
    editor.groups.add(editors_group)
    client.force_login(editor)
    return client


@pytest.fixture
def large_table(monkeypatch):
    """Make "large" start at 10 rows, so a few dozen posts behave like a million."""
    monkeypatch.setattr(ApproximateCountPaginator, "exact_count_below", 10)


def test_unfiltered_change_list_never_counts_posts_on_a_large_table(
    admin_client, published_posts, large_table
):
    published_posts(30)
    analyze_posts()

    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    assert not [query for query in captured.captured_queries if COUNT_OF_POSTS.search(query["sql"])]
    assert "about 30 posts" in response.text


def test_filtered_change_list_on_a_large_table_uses_the_planner_estimate(
    admin_client, published_posts, large_table
):
    published_posts(30)
    analyze_posts()

    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(CHANGELIST_URL, {"status__exact": "published"})

    assert response.status_code == 200
    assert not [query for query in captured.captured_queries if COUNT_OF_POSTS.search(query["sql"])]
    assert re.search(r"about \d+ posts", response.text)


def test_small_table_change_list_shows_the_exact_count(admin_client, published_posts):
    published_posts(3)
    response = admin_client.get(CHANGELIST_URL)
    assert "3 posts" in response.text
    assert "about" not in response.text.split('class="paginator"')[1]


@pytest.mark.parametrize("post_count", [5, 40])
def test_change_list_query_count_is_flat(
    admin_client, published_posts, author_factory, category_factory, tag_factory, post_count,
    django_assert_num_queries,
):  # fmt: skip
    """Rows of many authors and categories: list_select_related joins them in the one page query.

    User, category and author filter choices (2), pg_class estimate, the exact
    COUNT (a small table), page rows, the first published date (date hierarchy).
    """
    tags = [tag_factory()]
    for _ in range(post_count // 5):
        published_posts(5, author=author_factory(), category=category_factory(), tags=tags, prefix=f"p{_}")
    with django_assert_num_queries(7):
        admin_client.get(CHANGELIST_URL)


def test_change_list_pages_in_date_index_order_and_never_scans_for_distinct_dates(
    admin_client, published_posts
):
    """Both would read every row at a million posts: a sort the date index cannot
    answer, DISTINCT for the years (plans: tests/blog/test_indexes.py)."""
    published_posts(3)
    with CaptureQueriesContext(connection) as captured:
        admin_client.get(CHANGELIST_URL)
    queries = [query["sql"] for query in captured.captured_queries]
    assert any(
        query.endswith('ORDER BY "blog_post"."published_at" DESC, "blog_post"."id" DESC') for query in queries
    )
    assert not [query for query in queries if "DISTINCT" in query or "DATE_TRUNC" in query]


def test_date_hierarchy_offers_years_then_months_then_days(admin_client, post_factory):
    post_factory(published_at=timezone.now().replace(year=timezone.now().year - 3))
    first_year, this_year = timezone.now().year - 3, timezone.now().year

    years = admin_client.get(CHANGELIST_URL).text
    months = admin_client.get(CHANGELIST_URL, {"published_at__year": first_year}).text
    days = admin_client.get(CHANGELIST_URL, {"published_at__year": 2024, "published_at__month": 2}).text

    for year in range(first_year, this_year + 1):
        assert f"?published_at__year={year}" in years
    assert f"?published_at__year={first_year - 1}" not in years
    assert f"published_at__month=12&amp;published_at__year={first_year}" in months
    assert "published_at__day=29&amp;published_at__month=2&amp;published_at__year=2024" in days
    assert "published_at__day=30&amp;published_at__month=2" not in days


def test_change_list_links_each_post_to_its_preview(admin_client, post_factory):
    draft = post_factory(status=Post.Status.DRAFT, published_at=None)
    response = admin_client.get(CHANGELIST_URL)
    assert reverse("blog:preview", args=[draft.pk]) in response.text


def test_view_on_site_is_the_preview_for_drafts_and_the_address_for_public_posts(post_factory):
    draft = post_factory(status=Post.Status.DRAFT, published_at=None)
    public = post_factory()
    post_admin = PostAdmin(Post, admin_site=None)
    assert post_admin.get_view_on_site_url(draft) == reverse("blog:preview", args=[draft.pk])
    assert post_admin.get_view_on_site_url(public) == public.get_absolute_url()


def test_publish_action_publishes_in_one_update_keeping_existing_dates(admin_client, post_factory):
    long_ago = timezone.now() - datetime.timedelta(days=400)
    undated = post_factory(status=Post.Status.DRAFT, published_at=None)
    dated = post_factory(status=Post.Status.DRAFT, published_at=long_ago)
    Post.objects.filter(pk__in=[undated.pk, dated.pk]).update(last_modified=long_ago)
    before = timezone.now()

    with CaptureQueriesContext(connection) as captured:
        response = admin_client.post(
            CHANGELIST_URL, {"action": "publish", "_selected_action": [undated.pk, dated.pk]}, follow=True
        )

    updates = [query for query in captured.captured_queries if query["sql"].startswith('UPDATE "blog_post"')]
    assert len(updates) == 1
    assert "2 posts published." in response.text
    undated.refresh_from_db()
    dated.refresh_from_db()
    assert undated.status == dated.status == Post.Status.PUBLISHED
    assert undated.published_at >= before
    assert dated.published_at == long_ago
    assert undated.last_modified >= before
    assert dated.last_modified >= before
    assert set(Post.objects.published()) == {undated, dated}


def test_unpublish_action_returns_posts_to_draft_and_bumps_last_modified(admin_client, post_factory):
    post = post_factory()
    before = timezone.now()

    response = admin_client.post(
        CHANGELIST_URL, {"action": "unpublish", "_selected_action": [post.pk]}, follow=True
    )

    assert "1 post unpublished." in response.text
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert post.last_modified >= before
    assert not Post.objects.published().exists()


def test_search_status_category_author_and_date_filters_answer(admin_client, post_factory):
    post = post_factory(title="Harbour council approves budget")
    for query in (
        {"q": "harbour"},
        {"status__exact": "published"},
        {"category__id__exact": post.category_id},
        {"author__id__exact": post.author_id},
        {"published_at__year": post.published_at.year},
    ):
        response = admin_client.get(CHANGELIST_URL, query)
        assert response.status_code == 200
        assert post.title in response.text, query


def test_autocomplete_finds_authors_categories_and_tags(admin_client, post_factory, tag_factory):
    post = post_factory(tags=[tag_factory(name="Fisheries")])
    for field_name, term, expected in (
        ("author", post.author.name[:6], post.author.name),
        ("category", post.category.name[:6], post.category.name),
        ("tags", "Fish", "Fisheries"),
    ):
        response = admin_client.get(
            "/admin/autocomplete/",
            {"app_label": "blog", "model_name": "post", "field_name": field_name, "term": term},
        )
        assert expected in [result["text"] for result in response.json()["results"]]


def test_add_form_prepopulates_the_slug_from_the_title(admin_client):
    response = admin_client.get("/admin/blog/post/add/")
    assert response.status_code == 200
    assert '"dependency_ids": ["#id_title"]' in response.text.replace("&quot;", '"')


def test_editors_group_holds_the_blog_and_image_library_permissions_and_nothing_else(editors_group):
    codenames = set(editors_group.permissions.values_list("codename", flat=True))
    assert codenames == {
        f"{action}_{model}"
        for action in ("add", "change", "delete", "view")
        for model in (
            *("post", "author", "category", "tag", "libraryimage", "postbodyimage"),
            *("postformerslug", "categoryformerslug", "tagformerslug", "authorformerslug"),
        )
    } | {"flush_cache"}


def test_editors_group_migration_is_idempotent_and_grants_by_app_label(editors_group):
    """Rerunnable from a later migration when the blog gains a model."""
    migration = importlib.import_module("apps.blog.migrations.0003_editors_group")
    migration.grant_blog_permissions(django_apps, schema_editor=None)
    assert Group.objects.filter(name="Editors").count() == 1
    editors_permissions = Permission.objects.filter(content_type__app_label__in=["blog", "images"])
    assert editors_group.permissions.count() == editors_permissions.count()


def test_editor_can_edit_posts_but_not_users(editor_client, post_factory):
    post = post_factory()
    assert editor_client.get(CHANGELIST_URL).status_code == 200
    assert editor_client.get(f"/admin/blog/post/{post.pk}/change/").status_code == 200
    assert editor_client.get("/admin/auth/user/").status_code == 403


def test_non_staff_users_are_sent_to_the_admin_login(client, db):
    reader = User.objects.create_user("reader", password="reader-password")
    client.force_login(reader)
    response = client.get(CHANGELIST_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_publish_action_makes_a_future_dated_post_public_now(admin_client, post_factory):
    post = post_factory(status=Post.Status.DRAFT, published_at=timezone.now() + datetime.timedelta(days=3))

    admin_client.post(
        reverse("admin:blog_post_changelist"), {"action": "publish", "_selected_action": [post.pk]}
    )

    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert post.published_at <= timezone.now()
    assert Post.objects.published().filter(pk=post.pk).exists()
