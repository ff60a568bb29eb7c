"""HTTP caching for what sits in front of the site (browsers, a CDN, Varnish).

Anonymous pages get a short public max-age and validators built from the list
version (which every public change bumps) and the page's flush time, so a
conditional request is answered with 304 from one cache read: no query, no
rendering. Signed-in users get private pages that always revalidate.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from .pages import page_state
from .versions import version_timestamp


def page_validators(request, query_params):
    """(etag, last_modified seconds) for an anonymous page, or (None, None)."""
    state = page_state(request)
    if not state.cache_available:
        return None, None
    # Only parameters that change the page: `?utm_source=x` or `?anything`
    # must not split the caches in front of the site.
    page_identity = [request.path, *(f"{name}={request.GET.get(name, '')}" for name in sorted(query_params))]
    validator_source = "\n".join([state.list_version, repr(state.flushed_at), *page_identity])
    digest = hashlib.md5(validator_source.encode(), usedforsecurity=False).hexdigest()
    last_modified = max(version_timestamp(state.list_version).timestamp(), state.flushed_at)
    return f'W/"{digest}"', int(last_modified)


def http_cached(query_params=()):
    """Cache-Control and validators for a public view; `query_params` names
    the GET parameters that change its page (page, q, ...)."""

    def decorator(view):
        @wraps(view)
        def cached_view(request, *args, **kwargs):
            if not settings.CACHE_ENABLED or request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            if request.user.is_authenticated:
                response = view(request, *args, **kwargs)
                patch_cache_control(response, private=True, no_cache=True)
                return response

            etag, last_modified = page_validators(request, query_params)
            response = None
            if etag is not None:
                response = get_conditional_response(request, etag=etag, last_modified=last_modified)
            if response is None:
                response = view(request, *args, **kwargs)
            if etag is not None and response.status_code in (200, 304):
                response.headers["ETag"] = etag
                response.headers["Last-Modified"] = http_date(last_modified)
            patch_cache_control(response, public=True, max_age=settings.CACHE_HTTP_MAX_AGE)
            return response

        return cached_view

    return decorator
