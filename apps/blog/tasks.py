"""The blog's scheduled work, run by Celery beat (CELERY_BEAT_SCHEDULE in settings)."""

from celery import shared_task

import project.celery  # noqa: F401 - the app shared_task binds to, loaded with the tasks

from . import popularity
from .models import Post


@shared_task(acks_late=True, soft_time_limit=50, time_limit=55)
def publish_due_posts():
    """Every minute: scheduled posts whose time has come go live. Idempotent."""
    return Post.objects.publish_due()


@shared_task(acks_late=True, soft_time_limit=50, time_limit=55)
def decay_popular_posts():
    """Every six hours: "most read" scores halve, faded and non-public posts leave the list."""
    return popularity.decay_popular_posts()
