"""Uploads are stored under unguessable names: a draft's hero image must not
be found by trying posts/<year>/<month>/<likely file name> before the post is
published, and its thumbnails' names inherit the secret."""

import re

import pytest
from django.conf import settings

from apps.blog.models import Post
from apps.images.models import LibraryImage
from apps.images.thumbnails import expected_thumbnail_names

pytestmark = pytest.mark.django_db

# A 128-bit random folder between the month and the uploaded file's own name.
UNGUESSABLE_NAME = r"{prefix}\d{{4}}/\d{{2}}/[A-Za-z0-9_-]{{22}}/{filename}"


def stored_draft_hero(post_factory, image_upload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return post_factory(
            status=Post.Status.DRAFT, published_at=None, hero_image=image_upload("merger.jpg")
        )


def test_a_draft_hero_image_has_an_unguessable_name(
    post_factory, image_upload, django_capture_on_commit_callbacks
):
    first = stored_draft_hero(post_factory, image_upload, django_capture_on_commit_callbacks)
    second = stored_draft_hero(post_factory, image_upload, django_capture_on_commit_callbacks)

    for post in (first, second):
        assert re.fullmatch(
            UNGUESSABLE_NAME.format(prefix="posts/", filename=r"merger\.jpg"), post.hero_image.name
        )
    assert first.hero_image.name != second.hero_image.name
    # Its thumbnails live under the same secret folder.
    secret_folder = first.hero_image.name.rsplit("/", 1)[0]
    aliases = settings.THUMBNAIL_ALIASES["blog.Post.hero_image"]
    assert all(
        name.startswith(secret_folder)
        for name in expected_thumbnail_names(first.hero_image.name, aliases).values()
    )


def test_avatars_and_library_images_have_unguessable_names(
    author_factory, image_upload, django_capture_on_commit_callbacks
):
    """A new hire's portrait or a library photo for a coming story leak as a draft's hero does."""
    with django_capture_on_commit_callbacks(execute=False):
        author = author_factory(avatar=image_upload("ferry.jpg"))
        library_image = LibraryImage.objects.create(file=image_upload("ferry.jpg"), alt_text="A ferry")

    assert re.fullmatch(
        UNGUESSABLE_NAME.format(prefix="avatars/", filename=r"ferry\.jpg"), author.avatar.name
    )
    assert re.fullmatch(
        UNGUESSABLE_NAME.format(prefix="library/", filename=r"ferry\.jpg"), library_image.file.name
    )
