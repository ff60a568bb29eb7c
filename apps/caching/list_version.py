"""The list version: one token that every entry depending on the lists is stamped with.

Bumping it makes every list, whole response and cached row count as absent at
once, without deleting a key (the way djangoproject.com invalidates its
dashboard). A token rather than a counter: a bump is a plain SET (no read,
nothing to race), a fresh value never repeats an evicted one, and it carries
its time, which becomes the pages' Last-Modified.

Templates write LIST_VERSION among a {% cache %} tag's vary-on values to stamp
a fragment with it (apps/caching/pipeline.py, layer 6).
"""

import logging
import time
import uuid

from django.core.cache import cache

from apps.replicas.health import replicas_have_replayed, wait_for_replicas

from .process_cache import process_cache

LIST_VERSION_KEY = "version:post_lists"

logger = logging.getLogger(__name__)


class ListVersionMarker:
    """LIST_VERSION in a template's {% cache %}: stamp the fragment with the list version."""

    def __str__(self):
        return "LIST_VERSION"


LIST_VERSION = ListVersionMarker()


def new_version_token():
    return f"{time.time_ns() // 1_000_000}-{uuid.uuid4().hex[:8]}"


def list_version():
    """The current token, created on first use; None when the cache is down."""
    token = cache.get(LIST_VERSION_KEY)
    if token is None:
        cache.add(LIST_VERSION_KEY, new_version_token(), timeout=None)
        token = cache.get(LIST_VERSION_KEY)
    return token


def version_timestamp(token):
    """When the token was made, in seconds since the epoch (for Last-Modified)."""
    return int(token.split("-", 1)[0]) / 1000


def bump_list_version():
    """Make every list, whole response and cached row stale now.

    Called after the commit. When a replica has not replayed the commit within
    the lag bound, the bump happens anyway (readers must not wait), and a task
    bumps again once it has: a process that read the lagging replica meanwhile
    may have cached the old rows (a retracted post) under the new version."""
    # A reader who misses under the new version must find the new rows on a replica too.
    unreplayed_lsn = wait_for_replicas()
    set_new_list_version()
    if unreplayed_lsn is not None:
        queue_bump_once_replayed(unreplayed_lsn)


def set_new_list_version():
    cache.set(LIST_VERSION_KEY, new_version_token(), timeout=None)
    process_cache.clear()


def bump_list_version_if_replayed(primary_lsn):
    """Bump once every replica has replayed `primary_lsn`; whether it did."""
    if not replicas_have_replayed(primary_lsn):
        return False
    set_new_list_version()
    return True


def queue_bump_once_replayed(primary_lsn):
    # Imported here: Celery loads in a web process only when it first queues a task.
    from kombu.exceptions import OperationalError

    from .tasks import bump_list_version_once_replayed

    try:
        bump_list_version_once_replayed.delay(primary_lsn)
    except OperationalError:
        # A dead broker costs this second bump; entries still expire by their timeouts.
        logger.exception("Could not queue the list version's bump once replicas replay %s", primary_lsn)
