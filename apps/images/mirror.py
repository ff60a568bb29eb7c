"""The mirror bucket: a second copy of every stored image, which deletes never reach.

Media that cannot be wiped, with nothing but the S3 API every server speaks
(CopyObject, ListObjects): uploads are copied into the mirror as they are
saved (MediaStorage with mirrored=True), the daily cleanup copies whatever is missing
before it deletes anything, and `manage.py restore_media` copies back. On
AWS, turn on object versioning on both buckets as well (docs/reliability.md).

The mirror is a bucket of the same endpoint and credentials, named by
AWS_MEDIA_MIRROR_BUCKET_NAME; None turns it off, and the cleanup then deletes nothing.
"""

import logging

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import default_storage

from .storage_errors import STORAGE_ERRORS

logger = logging.getLogger(__name__)


def mirror_bucket(storage=default_storage):
    """The mirror as a boto3 Bucket of the storage's own connection, or None when off."""
    name = settings.AWS_MEDIA_MIRROR_BUCKET_NAME
    return storage.connection.Bucket(name) if name else None


def stored_names(bucket, prefixes):
    return {stored.key for prefix in prefixes for stored in bucket.objects.filter(Prefix=prefix)}


def copy_between(source_bucket, target_bucket, names):
    """Server-side copies, the bytes never pass through this process; returns the names copied."""
    for name in names:
        target_bucket.copy({"Bucket": source_bucket.name, "Key": name}, name)
    return list(names)


def copy_missing_to_mirror(names, storage=default_storage):
    """Copy into the mirror each of names it lacks; the names copied."""
    mirror = mirror_bucket(storage)
    return copy_between(storage.bucket, mirror, [name for name in names if not has_object(mirror, name)])


def sync_mirror(prefixes, storage=default_storage):
    """Copy every object under the prefixes that the mirror lacks; the names copied."""
    mirror = mirror_bucket(storage)
    if mirror is None:
        return []
    missing = sorted(stored_names(storage.bucket, prefixes) - stored_names(mirror, prefixes))
    return copy_between(storage.bucket, mirror, missing)


def restore_from_mirror(names, storage=default_storage, prefixes=None):
    """Copy each name back from the mirror unless the media bucket has it; the names restored.

    With prefixes, both buckets are listed under them (many names: one request
    per thousand objects), else each name is asked for (a few names)."""
    mirror = mirror_bucket(storage)
    if prefixes is not None:
        in_bucket, in_mirror = stored_names(storage.bucket, prefixes), stored_names(mirror, prefixes)
        restorable = sorted((set(names) & in_mirror) - in_bucket)
    else:
        missing = [name for name in names if not has_object(storage.bucket, name)]
        restorable = [name for name in missing if has_object(mirror, name)]
    return copy_between(mirror, storage.bucket, restorable)


def has_object(bucket, name):
    try:
        bucket.Object(name).load()
    except ClientError as error:
        if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return False
        raise
    return True


def mirror_upload(storage, name):
    """After an upload: its copy in the mirror. A failure is logged, not raised:
    the upload succeeded, and the daily cleanup's sync copies it later."""
    mirror = mirror_bucket(storage)
    if mirror is None:
        return
    try:
        copy_between(storage.bucket, mirror, [name])
    except (*STORAGE_ERRORS, ClientError):
        logger.warning("Could not copy %s into the mirror bucket; the daily sync will", name, exc_info=True)
