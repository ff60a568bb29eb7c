"""The edge purges (apps/caching/edge.py), off the editor's request."""

from celery import shared_task

import project.celery  # noqa: F401 - the app shared_task binds to, loaded with the tasks

from . import edge


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
