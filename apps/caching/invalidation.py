"""Invalidation, in one place: lists expire on commit, a page is flushed on demand.

The edges (apps/caching/edge.py) are purged on the same path: by the changed
posts' keys (PostQuerySet.expire_on_commit, apps/blog/querysets.py), by the
flushed page's own key here.

Every write that changes what readers see schedules expire_lists_on_commit()
(the visibility-changing writes are PostQuerySet methods, apps/blog/querysets.py;
the signals cover saves and taxonomy changes): the bump of the list version
(apps/caching/list_version.py) waits for the commit, or a reader rendering in
between would store the old rows under the new version.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .edge import page_key, purge_on_commit
from .keys import page_flushed_key
from .list_version import bump_list_version
from .process_cache import process_cache


def expire_lists_on_commit():
    """Bump the list version once the current transaction commits.

    Robust: a dead Redis costs freshness (entries still expire by their
    timeouts), never the editor's save.
    """
    transaction.on_commit(bump_list_version, robust=True)


def flush_page(path):
    """Rebuild every entry read for the page at `path` on its next request.

    Entries keep their keys (teasers are shared by many pages); each one built
    before this moment counts as stale when it is read for this path.
    """
    cache.set(page_flushed_key(path), time.time(), timeout=settings.CACHE_TTL_FOREVER * 3)
    process_cache.clear()
    # Removed, not marked stale: the editor's next look must not get the old copy.
    purge_on_commit(lambda: {page_key(path)}, hard=True)
