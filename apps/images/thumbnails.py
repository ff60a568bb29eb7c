"""Thumbnails: pre-generated and optimized by a task, read from the row by the page.

The chapter's "File Uploads": every size is predefined (THUMBNAIL_ALIASES),
generated right after upload by a Celery task that downloads the source once,
makes each alias with easy-thumbnails, optimizes it with Pillow and uploads it.
The task stores {alias: {"url", "width", "height"}} on the row, so rendering a
thumbnail needs neither a storage request nor a thumbnail query.
"""

import io
import logging
import os
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.dispatch import Signal
from django.utils import timezone
from easy_thumbnails.files import Thumbnailer, get_thumbnailer
from easy_thumbnails.models import ThumbnailDimensions
from PIL import Image

from .registry import thumbnail_field

logger = logging.getLogger(__name__)


@dataclass
class GeneratedThumbnails:
    """What one generation run stored, and what optimization saved."""

    thumbnails: dict = field(default_factory=dict)
    unoptimized_bytes: int = 0
    optimized_bytes: int = 0

    @property
    def saved_fraction(self):
        if not self.unoptimized_bytes:
            return 0.0
        return 1 - self.optimized_bytes / self.unoptimized_bytes


def optimize_image(image, name):
    """Re-encode with the Pillow options for the format the name's extension implies.

    Compress images: easy-thumbnails' optimizer works on local files only, so
    the task optimizes in memory before upload.
    """
    Image.init()
    image_format = Image.EXTENSION[os.path.splitext(name)[1].lower()]
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    output = io.BytesIO()
    image.save(output, format=image_format, **settings.IMAGES_OPTIMIZE_OPTIONS.get(image_format, {}))
    return output.getvalue()


def generate_thumbnails(source_name, aliases):
    """Make, optimize and upload every alias of one stored image.

    One GET for the source, one PUT per alias. Thumbnail names depend only on
    the source name and the options, so running it twice overwrites the same
    objects: the task is idempotent.
    """
    thumbnail_storage = storages["thumbnails"]
    with default_storage.open(source_name) as source:
        source_bytes = source.read()
    thumbnailer = Thumbnailer(
        file=ContentFile(source_bytes), name=source_name, thumbnail_storage=thumbnail_storage
    )
    generated = GeneratedThumbnails()
    for alias, options in aliases.items():
        thumbnail = thumbnailer.generate_thumbnail(options)
        unoptimized = thumbnail.read()
        optimized = optimize_image(thumbnail.image, thumbnail.name)
        smallest = min(optimized, unoptimized, key=len)
        thumbnail_storage.save(thumbnail.name, ContentFile(smallest))
        width, height = thumbnail.image.size
        # Recorded in easy-thumbnails' tables too (with its dimensions), so the
        # on-the-fly fallback finds it instead of generating or opening it.
        thumbnail_record = thumbnailer.get_thumbnail_cache(thumbnail.name, create=True, update=True)
        ThumbnailDimensions.objects.update_or_create(
            thumbnail=thumbnail_record, defaults={"width": width, "height": height}
        )
        generated.thumbnails[alias] = {
            "url": thumbnail_storage.url(thumbnail.name),
            "width": width,
            "height": height,
        }
        generated.unoptimized_bytes += len(unoptimized)
        generated.optimized_bytes += len(smallest)
    return generated


def expected_thumbnail_names(source_name, aliases):
    """{alias: object name} the generator produces for a source; no I/O."""
    thumbnailer = Thumbnailer(name=source_name)
    return {alias: thumbnailer.get_thumbnail_name(options) for alias, options in aliases.items()}


def thumbnails_are_current(stored, source_name, aliases):
    """True when the row already holds every alias of this very source."""
    thumbnail_storage = storages["thumbnails"]
    expected = expected_thumbnail_names(source_name, aliases)
    return all(
        stored.get(alias, {}).get("url") == thumbnail_storage.url(name) for alias, name in expected.items()
    )


# Sent after a row's stored thumbnails change through a queryset update (which
# sends no post_save): apps that cache pages showing the row refresh them.
thumbnails_stored = Signal()


def refresh_thumbnails(model_label, pk, image_field, *, force=False):
    """Bring a row's stored thumbnails in line with its current image.

    Loads the row fresh (the image may have changed since the task was
    queued) and writes the JSON with a queryset update that also bumps
    last_modified, so the fragments keyed on it pick up the new thumbnails
    (key-based expiration). Returns the GeneratedThumbnails, or None when
    there was nothing to do.
    """
    registered = thumbnail_field(model_label, image_field)
    rows = registered.model._default_manager.filter(pk=pk)
    row = rows.values(image_field, registered.thumbnails_field).first()
    if row is None:
        return None
    source_name, stored = row[image_field], row[registered.thumbnails_field]
    if not source_name:
        if stored:
            rows.update(**{registered.thumbnails_field: {}, "last_modified": timezone.now()})
            thumbnails_stored.send(sender=registered.model, pk=pk, image_field=image_field)
        return None
    if not force and thumbnails_are_current(stored, source_name, registered.aliases):
        return None
    generated = generate_thumbnails(source_name, registered.aliases)
    # Only if the image is still the one we made thumbnails of: a newer upload
    # has its own task on the way.
    rows.filter(**{image_field: source_name}).update(
        **{registered.thumbnails_field: generated.thumbnails, "last_modified": timezone.now()}
    )
    thumbnails_stored.send(sender=registered.model, pk=pk, image_field=image_field)
    logger.info(
        "Thumbnails for %s %s.%s: %d aliases, %d bytes, optimization saved %.0f%%",
        model_label,
        pk,
        image_field,
        len(generated.thumbnails),
        generated.optimized_bytes,
        generated.saved_fraction * 100,
    )
    return generated


def stored_thumbnail(instance, image_field, alias):
    """{"url", "width", "height"} of one alias, or None if the field is empty.

    Reads what the task stored on the row: no query, no storage request. Only
    when that is missing (the task has not run yet) is the thumbnail made on
    the fly, so a reader never sees a broken image.
    """
    fieldfile = getattr(instance, image_field)
    if not fieldfile:
        return None
    registered = thumbnail_field(instance._meta.label, image_field)
    stored = getattr(instance, registered.thumbnails_field).get(alias)
    if stored:
        return stored
    return thumbnail_on_the_fly(fieldfile, registered.aliases[alias])


def thumbnail_on_the_fly(fieldfile, options):
    """The fallback: easy-thumbnails' lookup, generating (unoptimized) if needed.

    If even that fails (storage down, or S3 answering an error such as
    SlowDown or AccessDenied, which botocore raises as ClientError), the
    original image's URL, which costs no request to build, is better than a
    broken image or an error page.
    """
    try:
        thumbnail = get_thumbnailer(fieldfile).get_thumbnail(options, generate=True)
        return {"url": thumbnail.url, "width": thumbnail.width, "height": thumbnail.height}
    except Exception:
        # Any failure, a storage error or an image Pillow cannot scale (a zero-pixel
        # side), costs the page its thumbnail, never the page itself: no 500.
        logger.warning("Thumbnail of %s could not be made on the fly", fieldfile.name, exc_info=True)
        return {"url": fieldfile.url, "width": None, "height": None}
