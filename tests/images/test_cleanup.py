"""Removal of stored images no row references, after a grace period, in the real bucket.

The test bucket is shared by concurrent test runs, so each test works under
its own prefix and passes it explicitly; the beat task uses the upload prefixes.
"""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from apps.images.cleanup import remove_unreferenced_images, upload_prefixes
from apps.images.models import LibraryImage
from apps.images.thumbnails import refresh_thumbnails

pytestmark = pytest.mark.django_db


@pytest.fixture
def prefix():
    return f"cleanup-test-{uuid.uuid4().hex[:8]}/"


def store(name, content):
    return default_storage.save(name, ContentFile(content))


def test_upload_prefixes_come_from_the_registered_fields():
    assert upload_prefixes() == ["avatars/", "library/", "posts/"]


def test_unreferenced_images_are_removed_and_referenced_ones_and_their_thumbnails_kept(
    prefix, bucket_keys, image_upload, django_capture_on_commit_callbacks
):
    kept_name = store(f"{prefix}kept.jpg", image_upload().read())
    with django_capture_on_commit_callbacks(execute=False):
        kept = LibraryImage.objects.create(file=kept_name, width=1600, height=1000, alt_text="Kept")
    refresh_thumbnails("images.LibraryImage", kept.pk, "file")
    orphan_name = store(f"{prefix}orphan.jpg", b"left behind by a deleted post")
    stored_before = bucket_keys(prefix)
    assert len(stored_before) == 2 + len(settings.THUMBNAIL_ALIASES["images.LibraryImage.file"])

    removed = remove_unreferenced_images(
        uploaded_before=timezone.now() + timedelta(minutes=1), prefixes=[prefix]
    )

    assert removed == [orphan_name]
    assert bucket_keys(prefix) == stored_before - {orphan_name}


def test_images_younger_than_the_grace_period_are_kept(prefix, bucket_keys):
    """An upload whose row has not committed yet looks unreferenced: the grace period protects it."""
    just_uploaded = store(f"{prefix}just-uploaded.jpg", b"row not committed yet")

    removed = remove_unreferenced_images(
        uploaded_before=timezone.now() - timedelta(hours=1), prefixes=[prefix]
    )

    assert removed == []
    assert just_uploaded in bucket_keys(prefix)
    remove_unreferenced_images(uploaded_before=timezone.now() + timedelta(minutes=1), prefixes=[prefix])


def test_thumbnails_stored_under_older_alias_settings_are_kept_while_a_row_points_at_them(
    prefix, bucket_keys
):
    old_thumbnail = store(f"{prefix}photo.jpg.300x200_q85.webp", b"made with last year's sizes")
    source = store(f"{prefix}photo.jpg", b"source")
    LibraryImage.objects.create(
        file=source,
        width=10,
        height=10,
        alt_text="Old sizes",
        thumbnails={"teaser": {"url": default_storage.url(old_thumbnail), "width": 300, "height": 200}},
    )

    removed = remove_unreferenced_images(
        uploaded_before=timezone.now() + timedelta(minutes=1), prefixes=[prefix]
    )

    assert removed == []
    assert bucket_keys(prefix) == {old_thumbnail, source}
    LibraryImage.objects.all().delete()
    remove_unreferenced_images(uploaded_before=timezone.now() + timedelta(minutes=1), prefixes=[prefix])
    assert bucket_keys(prefix) == set()
