"""Removal of stored images that no row references any more, within limits.

An object is referenced when a registered image field or the image library
holds its name, or when it is a thumbnail of such an image (by the names the
generator gives, or by the URLs a row still stores). Objects younger than the
grace period are kept: their row may not have committed yet.

Pointed at an empty or freshly restored database, every image would look
unreferenced. So the cleanup refuses to run when the database references
nothing, or when its newest row change is older than the one the previous
run saw (kept in the bucket, at LAST_RUN_KEY: the database went back in
time, as a restore takes it); it deletes at most
IMAGES_CLEANUP_MAX_FRACTION of the objects, and never more than
IMAGES_CLEANUP_MAX_OBJECTS, per run; it copies each into the mirror bucket
before deleting it, and it logs every name it removes.
"""

import datetime
import json
import logging
import math

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.db import connection
from django.db.models import Max
from easy_thumbnails.models import Source, Thumbnail

from . import mirror
from .registry import thumbnail_fields
from .thumbnails import expected_thumbnail_names

logger = logging.getLogger(__name__)

# S3's DeleteObjects takes at most this many keys per request.
DELETE_BATCH_SIZE = 1000
# What the previous run saw, per database name, outside every upload prefix.
LAST_RUN_KEY = "cleanup/last-run-{database}.json"


class CleanupRefused(Exception):
    """The database does not look like the one the bucket's objects belong to."""


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


def newest_row_change():
    """The latest auto_now timestamp of any row of the models holding images, or None."""
    newest = []
    for model in {registered.model for registered in thumbnail_fields()}:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False):
                newest.append(model._default_manager.aggregate(newest=Max(field.name))["newest"])
    return max((moment for moment in newest if moment is not None), default=None)


def deletion_limit(stored_count):
    """At most the fraction of what is stored, at most the ceiling; at least one,
    so a small library still loses its orphans, one a run."""
    by_fraction = math.floor(stored_count * settings.IMAGES_CLEANUP_MAX_FRACTION)
    return min(max(by_fraction, 1), settings.IMAGES_CLEANUP_MAX_OBJECTS)


def last_run_object():
    return default_storage.bucket.Object(LAST_RUN_KEY.format(database=connection.settings_dict["NAME"]))


def newest_change_at_last_run():
    """The newest row change the previous run saw, or None before the first run."""
    try:
        recorded = json.loads(last_run_object().get()["Body"].read())
    except ClientError as error:
        if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return None
        raise
    return datetime.datetime.fromisoformat(recorded["newest_row_change"])


def record_run(newest_change):
    body = json.dumps({"newest_row_change": newest_change.isoformat()})
    last_run_object().put(Body=body.encode(), ContentType="application/json", CacheControl="no-store")


def refusal_reason(stored, referenced, newest_change):
    """Why the database does not look like the one the bucket's objects belong to, or None."""
    if stored and not referenced:
        return f"the database references no image while the bucket holds {len(stored)} objects"
    seen_before = newest_change_at_last_run()
    if seen_before is not None and (newest_change is None or newest_change < seen_before):
        return (
            f"the newest row change ({newest_change}) is older than the one the last run saw"
            f" ({seen_before}): the database looks restored to an earlier point; the cleanup"
            " runs again once an editor's change is newer (see docs/reliability.md, Runbook)"
        )
    if mirror.mirror_bucket() is None:
        return "no mirror bucket is configured (AWS_MEDIA_MIRROR_BUCKET_NAME): a deletion could not be undone"
    return None


def remove_unreferenced_images(uploaded_before, prefixes=None):
    """Delete unreferenced objects under the upload prefixes, within the limits; return their names.

    Raises CleanupRefused, deleting nothing, when the database looks empty or restored."""
    prefixes = prefixes or upload_prefixes()
    stored = {
        stored_object.key: stored_object.last_modified
        for prefix in prefixes
        for stored_object in default_storage.bucket.objects.filter(Prefix=prefix)
    }
    referenced = referenced_names()
    newest_change = newest_row_change()
    reason = refusal_reason(stored, referenced, newest_change)
    if reason:
        logger.warning("Media cleanup refused, nothing deleted: %s", reason)
        raise CleanupRefused(reason)
    if newest_change is not None:
        record_run(newest_change)
    candidates = sorted(
        name for name, uploaded in stored.items() if uploaded < uploaded_before and name not in referenced
    )
    limit = deletion_limit(len(stored))
    removed = candidates[:limit]
    mirror.copy_missing_to_mirror(removed)
    for start in range(0, len(removed), DELETE_BATCH_SIZE):
        batch = removed[start : start + DELETE_BATCH_SIZE]
        default_storage.bucket.delete_objects(
            Delete={"Objects": [{"Key": name} for name in batch], "Quiet": True}
        )
    # easy-thumbnails' own records of them would send the fallback to a missing file.
    Thumbnail.objects.filter(name__in=removed).delete()
    Source.objects.filter(name__in=removed).delete()
    for name in removed:
        logger.info("Removed unreferenced image %s (a copy stays in the mirror bucket)", name)
    logger.info(
        "Removed %d of %d unreferenced images (at most %d of %d stored per run)",
        len(removed),
        len(candidates),
        limit,
        len(stored),
    )
    return removed
