"""The editorial tools each ask for a permission, not only for is_staff: a staff
account made for one job (say, the image library) cannot preview drafts, flush
pages or publish."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.urls import reverse

from apps.blog.models import Post
from apps.caching.keys import FLUSH_PARAM
from apps.caching.permissions import FLUSH_CACHE_PERMISSION, can_flush_cache
from tests.support.navigation import TOP_LEVEL_NAVIGATION

CHANGELIST_URL = "/admin/blog/post/"


@pytest.fixture
def editors_group(db):
    """The group as its data migrations make it (run again: a transactional
    test's flush empties auth_group; both functions are idempotent)."""
    for name, function in (
        ("0003_editors_group", "grant_blog_permissions"),
        ("0008_editors_flush_and_images", "grant_flush_and_image_permissions"),
    ):
        getattr(importlib.import_module(f"apps.blog.migrations.{name}"), function)(django_apps, None)
    return Group.objects.get(name="Editors")


@pytest.fixture
def editor(editors_group):
    editor = User.objects.create_user("editor", password="editor-password", is_staff=True)
    editor.groups.add(editors_group)
    return editor


@pytest.fixture
def staff_without_permissions(db):
    return User.objects.create_user("librarian", password="librarian-password", is_staff=True)


def staff_with(*codenames):
    user = User.objects.create_user("clerk", password="clerk-password", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)


def test_editors_may_flush_the_cache(editor):
    assert can_flush_cache(editor)


def test_staff_without_the_flush_permission_may_not(staff_without_permissions):
    assert not can_flush_cache(staff_without_permissions)


def test_the_permission_without_staff_status_is_not_enough(editors_group):
    user = User.objects.create_user("reader", password="reader-password")
    user.user_permissions.add(Permission.objects.get(codename="flush_cache"))
    assert not can_flush_cache(User.objects.get(pk=user.pk))


def test_anonymous_visitors_may_not_flush(db):
    assert not can_flush_cache(AnonymousUser())


def test_flush_permission_is_the_blog_one(editor):
    assert editor.has_perm(FLUSH_CACHE_PERMISSION)
    assert FLUSH_CACHE_PERMISSION == "blog.flush_cache"


@pytest.mark.django_db
def test_flush_parameter_from_staff_without_the_permission_serves_the_cached_page(
    client, post_factory, staff_without_permissions
):
    """Through a real request: the parameter is dropped (a redirect to the page's
    canonical URL) and the page's cached fragments are served again."""
    post_factory(title="Before the flush")
    client.get("/")
    Post.objects.update(title="Changed behind the cache's back")
    client.force_login(staff_without_permissions)
    response = client.get("/", {FLUSH_PARAM: ""}, follow=True)
    assert response.redirect_chain == [("/", 301)]
    assert "Before the flush" in response.text


@pytest.mark.django_db
def test_flush_parameter_from_an_editor_rebuilds_the_page(client, post_factory, editor):
    post_factory(title="Before the flush")
    client.get("/")
    Post.objects.update(title="Changed behind the cache's back")
    client.force_login(editor)
    response = client.get("/", {FLUSH_PARAM: ""}, headers=TOP_LEVEL_NAVIGATION)
    assert "Changed behind the cache&#x27;s back" in response.text


def test_preview_is_404_for_staff_without_the_view_permission(
    client, post_factory, staff_without_permissions
):
    draft = post_factory(status=Post.Status.DRAFT, published_at=None)
    client.force_login(staff_without_permissions)
    assert client.get(reverse("blog:preview", args=[draft.pk])).status_code == 404


def test_preview_shows_the_draft_to_staff_with_the_view_permission(client, post_factory):
    draft = post_factory(title="Embargoed story", status=Post.Status.DRAFT, published_at=None)
    client.force_login(staff_with("view_post"))
    response = client.get(reverse("blog:preview", args=[draft.pk]))
    assert response.status_code == 200
    assert "Embargoed story" in response.text


@pytest.mark.parametrize(
    ("action", "post_fields"),
    [("publish", {"status": Post.Status.DRAFT, "published_at": None}), ("unpublish", {})],
)
def test_publish_actions_need_the_change_permission(client, post_factory, action, post_fields):
    post = post_factory(**post_fields)
    status_before = post.status
    client.force_login(staff_with("view_post"))
    response = client.post(CHANGELIST_URL, {"action": action, "_selected_action": [post.pk]}, follow=True)
    assert response.status_code == 200
    post.refresh_from_db()
    assert post.status == status_before


def test_publish_action_still_works_with_the_change_permission(client, post_factory):
    post = post_factory(status=Post.Status.DRAFT, published_at=None)
    client.force_login(staff_with("view_post", "change_post"))
    client.post(CHANGELIST_URL, {"action": "publish", "_selected_action": [post.pk]}, follow=True)
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED


def test_editors_manage_the_image_library(editor):
    for permission in ("add", "change", "delete", "view"):
        assert editor.has_perm(f"images.{permission}_libraryimage"), permission
