"""The caching's Celery tasks, off the editor's request: the edge purges
(apps/caching/edge.py), and the list version bumped again once the replicas
caught up."""

from celery import shared_task
from django.conf import settings

import project.celery  # noqa: F401 - the app shared_task binds to, loaded with the tasks

from . import edge
from .list_version import bump_list_version_if_replayed, set_new_list_version

# Checked every REPLICA_CHECK_SECONDS for about ten minutes; by then every
# process has long skipped a replica that is still behind, and its readers
# render from the primary, so the last bump happens anyway.
REPLAY_CHECKS = 120


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=10,
    acks_late=True,
    soft_time_limit=20,
    time_limit=30,
)
def purge_edge_keys(edge_url, keys, hard=False):
    """Idempotent: purging a key twice removes nothing more."""
    return edge.purge(edge_url, keys, hard=hard)


@shared_task(bind=True, acks_late=True, max_retries=REPLAY_CHECKS, soft_time_limit=20, time_limit=30)
def bump_list_version_once_replayed(self, primary_lsn):
    if bump_list_version_if_replayed(primary_lsn):
        return True
    if self.request.retries >= self.max_retries:
        set_new_list_version()
        return False
    raise self.retry(countdown=settings.REPLICA_CHECK_SECONDS)
