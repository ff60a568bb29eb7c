"""Scheduled publishing: posts dated for later go live when their time comes."""

from django.utils import timezone

from apps.caching.invalidation import expire_lists_on_commit

from .models import Post


def publish_due_posts(now=None):
    """Publish every scheduled post whose time has come; return how many.

    One UPDATE, which also bumps last_modified so each post's own fragments
    expire (key-based expiration); the lists refresh through their version,
    bumped once the UPDATE has committed.
    """
    now = now or timezone.now()
    published_count = Post.objects.due_for_publishing(now).update(
        status=Post.Status.PUBLISHED, last_modified=now
    )
    if published_count:
        expire_lists_on_commit()
    return published_count
