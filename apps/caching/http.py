"""HTTP caching for what sits in front of the site (browsers, a CDN, Varnish).

Anonymous pages get a short public max-age and validators built from the list
version (which every public change bumps) and the page's flush time, so a
conditional request is answered with 304 from one cache read: no query, no
rendering. A warm anonymous page is one cache read too: the whole response is
fetched in the same round trip, and for the next second this process answers
it from memory without asking Redis (apps/caching/recent.py). Signed-in users
get private pages that always revalidate, rendered from the shared fragments.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, QueryDict
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, urlencode

from .fragments import render_fragment
from .keys import FLUSH_PARAM, response_key
from .pages import FLUSH_REQUESTED_ATTRIBUTE, READ_ONLY_ATTRIBUTE, flush_page, page_state, wants_flush
from .recent import recent_responses
from .versions import version_timestamp


def keep_page_params(request, page_params):
    """Drop every GET parameter that does not change the page.

    `?utm_source=x`, `?anything=random` and the flush parameter never reach
    the view, its templates or a cache key, so they cannot force a render or
    end up in a cached link. The flush request is remembered for the tag.
    """
    setattr(request, FLUSH_REQUESTED_ATTRIBUTE, FLUSH_PARAM in request.GET)
    kept_pairs = [(name, value) for name in page_params for value in request.GET.getlist(name)]
    request.GET = QueryDict(urlencode(kept_pairs))


def page_validators(request):
    """(etag, last_modified seconds) for an anonymous page, or (None, None)."""
    state = page_state(request)
    if not state.cache_available:
        return None, None
    page_identity = f"{request.path}?{request.GET.urlencode()}"
    validator_source = "\n".join([state.list_version, repr(state.flushed_at), page_identity])
    digest = hashlib.md5(validator_source.encode(), usedforsecurity=False).hexdigest()
    last_modified = max(version_timestamp(state.list_version).timestamp(), state.flushed_at)
    return f'W/"{digest}"', int(last_modified)


class UncacheableResponse(Exception):
    """Carries a response that must not be stored (a redirect, an error page)."""

    def __init__(self, response):
        self.response = response


def render_whole_response(request, view, args, kwargs, cache_key):
    """The outermost doll: the anonymous response, read in the page's first
    round trip and valid for one list version; on a miss the view renders
    and its fragments come from the cache."""

    def render():
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()
        if response.status_code != 200:
            raise UncacheableResponse(response)
        return response.content, dict(response.headers)

    try:
        content, headers = render_fragment(
            request, "response", cache_key, settings.CACHE_TTL_SHORT, render, same_list_version=True
        )
    except UncacheableResponse as uncacheable:
        return uncacheable.response
    return response_from(content, headers)


def response_from(content, headers):
    response = HttpResponse(content)
    for name, value in headers.items():
        response.headers[name] = value
    return response


def anonymous_response(request, view, args, kwargs, cache_key):
    """(response, etag, last_modified) from Redis in one round trip, or rendered.

    A full page that can be validated is also remembered by this process."""
    page_state(request, prefetch_keys=[cache_key])
    etag, last_modified = page_validators(request)
    response = None
    if etag is not None:
        response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = render_whole_response(request, view, args, kwargs, cache_key)
        if etag is not None and response.status_code == 200:
            recent_responses.set(cache_key, (response.content, dict(response.headers), etag, last_modified))
    return response, etag, last_modified


def http_cached(page_params=()):
    """Cache-Control, validators and the cached response for a public view;
    `page_params` names the GET parameters that change its page (after, q, ...)."""

    def decorator(view):
        @wraps(view)
        def cached_view(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            keep_page_params(request, page_params)
            if not settings.CACHE_ENABLED:
                return view(request, *args, **kwargs)
            if request.user.is_authenticated:
                if wants_flush(request):
                    # Readers' whole responses and rows of this page are rebuilt too.
                    flush_page(request.path)
                response = view(request, *args, **kwargs)
                patch_cache_control(response, private=True, no_cache=True)
                return response

            cache_key = response_key(request.build_absolute_uri(f"{request.path}?{request.GET.urlencode()}"))
            remembered = recent_responses.get(cache_key)
            if remembered is not None:
                content, headers, etag, last_modified = remembered
                response = get_conditional_response(request, etag=etag, last_modified=last_modified)
                response = response or response_from(content, headers)
            else:
                response, etag, last_modified = anonymous_response(request, view, args, kwargs, cache_key)
            if etag is not None and response.status_code in (200, 304):
                response.headers["ETag"] = etag
                response.headers["Last-Modified"] = http_date(last_modified)
            patch_cache_control(response, public=True, max_age=settings.CACHE_HTTP_MAX_AGE)
            return response

        return cached_view

    return decorator


def private_page(view):
    """For staff-only pages (previews): never stored by a shared cache, and
    their fragments are read but never written for readers."""

    @wraps(view)
    def private_view(request, *args, **kwargs):
        setattr(request, READ_ONLY_ATTRIBUTE, True)
        response = view(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_cache=True)
        return response

    return private_view
