from django.conf import settings
from django.utils.functional import lazy

from .pages import page_list_version


def cache_timeouts(request):
    """The chapter's TTL constants for {% cache %} tags, and the list version
    for outer list keys (read from the cache only if a template uses it)."""
    return {
        "SHORT_TTL": settings.CACHE_TTL_SHORT,
        "MIDDLE_TTL": settings.CACHE_TTL_MIDDLE,
        "LONG_TTL": settings.CACHE_TTL_LONG,
        "FOREVER_TTL": settings.CACHE_TTL_FOREVER,
        "LIST_VERSION": lazy(page_list_version, str)(request),
    }
