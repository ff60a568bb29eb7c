from django.conf import settings

from .list_version import LIST_VERSION


def cache_timeouts(request):
    """The chapter's TTL constants for {% cache %} tags, set once in settings, and
    LIST_VERSION, which stamps a fragment with the list version (apps/caching/list_version.py)."""
    return {
        "SHORT_TTL": settings.CACHE_TTL_SHORT,
        "MIDDLE_TTL": settings.CACHE_TTL_MIDDLE,
        "LONG_TTL": settings.CACHE_TTL_LONG,
        "FOREVER_TTL": settings.CACHE_TTL_FOREVER,
        "LIST_VERSION": LIST_VERSION,
    }
