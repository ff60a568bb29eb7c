"""Removal of stored images that no row references any more.

An object is referenced when a registered image field or the image library
holds its name, or when it is a thumbnail of such an image (by the names the
generator gives, or by the URLs a row still stores). Objects younger than the
grace period are kept: their row may not have committed yet.
"""

import logging

from django.core.files.storage import default_storage, storages
from easy_thumbnails.models import Source, Thumbnail

from .registry import thumbnail_fields
from .thumbnails import expected_thumbnail_names

logger = logging.getLogger(__name__)

# S3's DeleteObjects takes at most this many keys per request.
DELETE_BATCH_SIZE = 1000


def referenced_names():
    thumbnail_storage = storages["thumbnails"]
    names = set()
    for registered in thumbnail_fields():
        rows = registered.model._default_manager.exclude(**{registered.image_field: ""})
        for source_name, stored in rows.values_list(registered.image_field, registered.thumbnails_field):
            names.add(source_name)
            names.update(expected_thumbnail_names(source_name, registered.aliases).values())
            names.update(thumbnail_storage.name_from_url(thumbnail["url"]) for thumbnail in stored.values())
    return names


def upload_prefixes():
    return sorted({registered.upload_prefix for registered in thumbnail_fields() if registered.upload_prefix})


def unreferenced_names(uploaded_before, prefixes=None):
    referenced = referenced_names()
    bucket = default_storage.bucket
    for prefix in prefixes or upload_prefixes():
        for stored_object in bucket.objects.filter(Prefix=prefix):
            if stored_object.last_modified < uploaded_before and stored_object.key not in referenced:
                yield stored_object.key


def remove_unreferenced_images(uploaded_before, prefixes=None):
    """Delete unreferenced objects under the upload prefixes; return their names."""
    removed = sorted(unreferenced_names(uploaded_before, prefixes))
    bucket = default_storage.bucket
    for start in range(0, len(removed), DELETE_BATCH_SIZE):
        batch = removed[start : start + DELETE_BATCH_SIZE]
        bucket.delete_objects(Delete={"Objects": [{"Key": name} for name in batch], "Quiet": True})
    # easy-thumbnails' own records of them would send the fallback to a missing file.
    Thumbnail.objects.filter(name__in=removed).delete()
    Source.objects.filter(name__in=removed).delete()
    logger.info("Removed %d unreferenced images", len(removed))
    return removed
