"""Removal of stored images no row references, after a grace period and within
limits, in the real bucket and its real mirror.

The test bucket is shared by concurrent test runs, so each test works under
its own prefix and passes it explicitly; the beat task uses the upload prefixes.
"""

import logging
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from apps.images import mirror
from apps.images.cleanup import (
    CleanupRefused,
    last_run_object,
    record_run,
    remove_unreferenced_images,
    upload_prefixes,
)
from apps.images.models import LibraryImage
from apps.images.thumbnails import refresh_thumbnails

pytestmark = pytest.mark.django_db


@pytest.fixture
def prefix():
    return f"cleanup-test-{uuid.uuid4().hex[:8]}/"


@pytest.fixture(autouse=True)
def forget_last_run():
    """Each test starts as if the cleanup never ran against this test database."""
    last_run_object().delete()
    yield
    last_run_object().delete()


@pytest.fixture
def referenced_image(prefix):
    """One image a row references: a database that is not empty."""
    name = store(f"{prefix}referenced.jpg", b"shown on a story")
    LibraryImage.objects.create(file=name, width=10, height=10, alt_text="Referenced")
    return name


def store(name, content):
    return default_storage.save(name, ContentFile(content))


def a_minute_from_now():
    return timezone.now() + timedelta(minutes=1)


def mirror_keys(prefix):
    return mirror.stored_names(mirror.mirror_bucket(), [prefix])


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


def test_images_younger_than_the_grace_period_are_kept(prefix, bucket_keys, referenced_image):
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


def test_the_cleanup_refuses_when_the_database_references_no_image(prefix, bucket_keys):
    """An empty (or wrongly configured) database: every image would look like an orphan."""
    stored = {store(f"{prefix}photo-{number}.jpg", b"a published story's image") for number in range(3)}

    with pytest.raises(CleanupRefused, match="references no image"):
        remove_unreferenced_images(uploaded_before=a_minute_from_now(), prefixes=[prefix])

    assert bucket_keys(prefix) == stored


def test_the_cleanup_refuses_when_the_database_went_back_in_time(prefix, bucket_keys, referenced_image):
    """A restore to an earlier point: the newest row change is older than the
    one the previous run saw, and the images uploaded since look unreferenced."""
    orphan_after_restore = store(f"{prefix}uploaded-after-the-restore-point.jpg", b"its row was lost")
    record_run(timezone.now() + timedelta(hours=1))

    with pytest.raises(CleanupRefused, match="looks restored"):
        remove_unreferenced_images(uploaded_before=a_minute_from_now(), prefixes=[prefix])

    assert bucket_keys(prefix) == {referenced_image, orphan_after_restore}


def test_the_cleanup_runs_again_once_the_database_is_newer_than_the_last_run(
    prefix, bucket_keys, referenced_image
):
    orphan = store(f"{prefix}orphan.jpg", b"left behind")
    record_run(timezone.now() - timedelta(hours=1))

    removed = remove_unreferenced_images(uploaded_before=a_minute_from_now(), prefixes=[prefix])

    assert removed == [orphan]


def test_one_run_deletes_at_most_its_share_of_the_stored_objects(
    prefix, bucket_keys, referenced_image, settings, caplog
):
    orphans = sorted(store(f"{prefix}orphan-{number}.jpg", b"left behind") for number in range(6))
    # Seven objects stored: 30% of them is two.
    settings.IMAGES_CLEANUP_MAX_FRACTION = 0.3

    with caplog.at_level(logging.INFO, logger="apps.images.cleanup"):
        removed = remove_unreferenced_images(uploaded_before=a_minute_from_now(), prefixes=[prefix])

    assert removed == orphans[:2]
    assert bucket_keys(prefix) == {referenced_image, *orphans[2:]}
    assert {
        f"Removed unreferenced image {name} (a copy stays in the mirror bucket)" for name in removed
    } <= set(caplog.messages)


def test_one_run_deletes_at_most_the_ceiling(prefix, bucket_keys, referenced_image, settings):
    orphans = sorted(store(f"{prefix}orphan-{number}.jpg", b"left behind") for number in range(4))
    settings.IMAGES_CLEANUP_MAX_FRACTION = 1.0
    settings.IMAGES_CLEANUP_MAX_OBJECTS = 3

    removed = remove_unreferenced_images(uploaded_before=a_minute_from_now(), prefixes=[prefix])

    assert removed == orphans[:3]


def test_the_cleanup_deletes_nothing_without_a_mirror(prefix, bucket_keys, referenced_image, settings):
    orphan = store(f"{prefix}orphan.jpg", b"left behind")
    settings.AWS_MEDIA_MIRROR_BUCKET_NAME = None

    with pytest.raises(CleanupRefused, match="no mirror bucket"):
        remove_unreferenced_images(uploaded_before=a_minute_from_now(), prefixes=[prefix])

    assert orphan in bucket_keys(prefix)


def test_uploads_are_copied_into_the_mirror_as_they_are_saved(prefix):
    name = store(f"{prefix}fresh.jpg", b"just uploaded")

    assert mirror_keys(prefix) == {name}


def test_a_removed_image_is_restored_from_the_mirror_with_its_bytes(prefix, bucket_keys, referenced_image):
    orphan = store(f"{prefix}deleted-by-mistake.jpg", b"the only photo of the event")
    mirror.mirror_bucket().Object(orphan).delete()
    removed = remove_unreferenced_images(uploaded_before=a_minute_from_now(), prefixes=[prefix])
    assert removed == [orphan]
    assert orphan not in bucket_keys(prefix)

    call_command("restore_media", orphan)

    assert orphan in bucket_keys(prefix)
    assert default_storage.open(orphan).read() == b"the only photo of the event"


def test_restore_referenced_brings_back_every_image_a_row_points_at(prefix, bucket_keys, referenced_image):
    """After a wipe of the media bucket: rows still name their images."""
    default_storage.bucket.Object(referenced_image).delete()

    call_command("restore_media", "--referenced", "--prefix", prefix)

    assert referenced_image in bucket_keys(prefix)


def test_the_daily_sync_copies_what_the_mirror_lacks(prefix):
    name = store(f"{prefix}missed.jpg", b"its copy failed at upload")
    mirror.mirror_bucket().Object(name).delete()

    copied = mirror.sync_mirror([prefix])

    assert copied == [name]
    assert mirror_keys(prefix) == {name}
