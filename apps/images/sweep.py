"""The safety net behind the on-commit enqueue (signals.py).

A row whose image still has no stored thumbnails 45 s after its last save
lost its task: the broker was down when the editor saved (the enqueue is
dropped so that the save never fails), or a worker died mid-task (Redis hands
the unacknowledged message out again only after the visibility timeout).
Celery beat runs the sweep every 20 s and queues those rows again: an image
missed while the broker was down has its thumbnails about a minute later.
"""

import datetime

from django.conf import settings
from django.core.cache import cache

from .registry import thumbnail_fields

SWEEP_CLAIM_KEY = "images:sweep:{model_label}:{pk}:{image_field}"
ROWS_PER_SWEEP = 200


def rows_missing_thumbnails(saved_before):
    """[(model_label, pk, image_field)] of rows with an image and no stored thumbnails,
    last saved before saved_before, oldest first.

    Partial indexes on exactly these rows keep it an index scan at a million posts."""
    rows = []
    for registered in thumbnail_fields():
        pks = (
            registered.model._default_manager.exclude(**{registered.image_field: ""})
            .filter(**{registered.thumbnails_field: {}, "last_modified__lt": saved_before})
            .order_by("last_modified")
            .values_list("pk", flat=True)[:ROWS_PER_SWEEP]
        )
        rows += [(registered.model_label, pk, registered.image_field) for pk in pks]
    return rows


def claim_rows_missing_thumbnails(now):
    """The rows to queue again now: missing thumbnails, and not queued by a sweep recently.

    The claim lasts IMAGES_SWEEP_REQUEUE_SECONDS, so a row whose task keeps
    failing (storage down for an hour) is queued once per claim, not every sweep.
    With the cache down every row is queued: a duplicate task only redoes
    idempotent work."""
    saved_before = now - datetime.timedelta(seconds=settings.IMAGES_SWEEP_GRACE_SECONDS)
    return [
        row
        for row in rows_missing_thumbnails(saved_before)
        if cache.add(
            SWEEP_CLAIM_KEY.format(model_label=row[0], pk=row[1], image_field=row[2]),
            1,
            timeout=settings.IMAGES_SWEEP_REQUEUE_SECONDS,
        )
        is not False
    ]
