"""The readers' pages with pre-generated thumbnails: no storage request when rendering."""

import pytest
from django.conf import settings

from apps.blog.models import Post
from apps.caching.list_version import list_version
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


def test_thumbnails_stored_by_the_task_expire_the_cached_lists(
    post_factory, image_upload, django_capture_on_commit_callbacks
):
    """The task writes with a queryset update (no post_save): the lists must still refresh,
    or a teaser cached with the on-the-fly fallback would keep it for a cache lifetime."""
    with django_capture_on_commit_callbacks(execute=False):
        post = post_factory(title="Late picture", hero_image=image_upload("late.jpg"))
    version_before = list_version()

    with django_capture_on_commit_callbacks(execute=True):
        refresh_thumbnails("blog.Post", post.pk, "hero_image")

    assert list_version() != version_before


def test_a_post_whose_thumbnails_are_not_made_yet_still_shows_its_image(
    client, post_factory, image_upload, django_capture_on_commit_callbacks
):
    """The chapter's failsafe: the first request may come before the task runs."""
    with django_capture_on_commit_callbacks(execute=False):
        post = post_factory(title="Early reader", hero_image=image_upload("early.jpg"))

    home = client.get("/").content.decode()
    detail = client.get(post.get_absolute_url()).content.decode()

    bucket_url = f"{settings.AWS_S3_ENDPOINT_URL}/{settings.AWS_STORAGE_BUCKET_NAME}/"
    stem = post.hero_image.name.rsplit(".", 1)[0]
    for page in (home, detail):
        assert f'<img src="{bucket_url}{stem}' in page
