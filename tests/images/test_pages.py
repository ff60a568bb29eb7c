"""The readers' pages with pre-generated thumbnails: no storage request when rendering."""

import pytest

from apps.blog.models import Post
from apps.images.thumbnails import refresh_thumbnails

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts_with_thumbnails(post_factory, image_upload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        posts = [post_factory(hero_image=image_upload(f"story-{number}.jpg")) for number in range(3)]
    for post in posts:
        refresh_thumbnails("blog.Post", post.pk, "hero_image")
    return list(Post.objects.filter(pk__in=[post.pk for post in posts]))


def test_home_page_shows_stored_teaser_thumbnails_without_a_storage_request(
    client, posts_with_thumbnails, s3_requests
):
    s3_requests.clear()

    response = client.get("/")

    assert response.status_code == 200
    for post in posts_with_thumbnails:
        assert post.hero_thumbnails["teaser"]["url"] in response.content.decode()
    assert s3_requests == []


def test_post_page_shows_its_stored_hero_without_a_storage_request(
    client, posts_with_thumbnails, s3_requests
):
    post = posts_with_thumbnails[0]
    s3_requests.clear()

    response = client.get(post.get_absolute_url())

    assert response.status_code == 200
    assert post.hero_thumbnails["detail"]["url"] in response.content.decode()
    assert s3_requests == []


def test_thumbnails_made_after_the_first_view_reach_the_cached_list_at_once(
    client, post_factory, image_upload, django_capture_on_commit_callbacks
):
    """The task writes with a queryset update (no post_save): the list must still refresh."""
    with django_capture_on_commit_callbacks(execute=False):
        post = post_factory(title="Late picture", hero_image=image_upload("late.jpg"))
    first_view = client.get("/").content.decode()
    assert "Late picture" in first_view

    with django_capture_on_commit_callbacks(execute=True):
        refresh_thumbnails("blog.Post", post.pk, "hero_image")

    post.refresh_from_db()
    assert post.hero_thumbnails["teaser"]["url"] not in first_view
    assert post.hero_thumbnails["teaser"]["url"] in client.get("/").content.decode()
