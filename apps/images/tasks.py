"""Thin Celery tasks: primary keys in, fresh rows loaded, plain functions called.

Do slow work later: thumbnails are made off the request, after the upload's
transaction commits. Both thumbnail tasks are idempotent (same names, same
result), acknowledged late, retried with exponential backoff and jitter while
the storage is unreachable or answers 5xx, and time-limited.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

import project.celery  # noqa: F401 - the app shared_task binds to, loaded with the tasks

from . import cleanup, mirror, sweep, thumbnails
from .storage_errors import STORAGE_ERRORS, server_errors_as_storage_errors

RETRIED_ON_STORAGE_ERRORS = {
    "autoretry_for": STORAGE_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 12,
    "acks_late": True,
    "soft_time_limit": 60,
    "time_limit": 90,
}


@shared_task(**RETRIED_ON_STORAGE_ERRORS)
def generate_thumbnails(model_label, pk, image_field):
    """An editor just uploaded an image: routed to the `high` queue."""
    with server_errors_as_storage_errors():
        thumbnails.refresh_thumbnails(model_label, pk, image_field)


@shared_task(**RETRIED_ON_STORAGE_ERRORS)
def regenerate_thumbnails(model_label, pk, image_field, force=False):
    """Backfill from `manage.py regenerate_thumbnails`: routed to the `low` queue."""
    with server_errors_as_storage_errors():
        thumbnails.refresh_thumbnails(model_label, pk, image_field, force=force)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def remove_unreferenced_images():
    """Beat, daily: copy into the mirror bucket what it lacks, then delete stored
    images no row references, after a grace period and within the cleanup's limits."""
    mirror.sync_mirror(cleanup.upload_prefixes())
    grace = timedelta(seconds=settings.IMAGES_ORPHAN_GRACE_SECONDS)
    try:
        cleanup.remove_unreferenced_images(uploaded_before=timezone.now() - grace)
    except cleanup.CleanupRefused:
        # Logged with its reason; running again tomorrow is the retry.
        return


@shared_task(acks_late=True, soft_time_limit=20, time_limit=30)
def queue_missing_thumbnails():
    """Beat, every 20 s: queue again the images whose thumbnail task was lost."""
    for model_label, pk, image_field in sweep.claim_rows_missing_thumbnails(timezone.now()):
        generate_thumbnails.delay(model_label, pk, image_field)
