"""The caching pipeline: every layer a reader's request meets, in the order it meets them.

    0. the edge          Varnish in front of the app servers keeps a public page
                         for s-maxage (CACHE_EDGE_MAX_AGE) unless purged sooner by
                         the keys of what it shows (apps/caching/edge.py)
    1. browser or CDN    reuses its copy for max-age (CACHE_HTTP_MAX_AGE), then
                         asks again with If-None-Match / If-Modified-Since
    2. process memory    this process's last second of anonymous responses
    3. whole response    the page as last rendered, in Redis, read together
                         with the list version in one round trip; a miss
                         draws on the client's budget of renders (then 429)
    4. the view          @public_page: the page's canonical URL (a 301 for any
                         other spelling), validators for readers, private
                         pages for staff, the editorial flush
    5. rows              the object a page needs first (cached_row)
    6. fragments         Russian dolls: {% cache %} lists, teasers, articles
    7. the database      whatever no layer above could answer

A conditional request (layer 1 asking again) is answered with a 304 by the
first layer that holds the page: layer 2 or 3 from the stored response's
validators, or layer 4 before the view renders. The validators are computed
once, by page_validators() in layer 4, and travel with the stored response.

Layers 2 and 3 run in PageCacheMiddleware, placed right after the security and
static-file middleware: a warm anonymous page is answered before sessions,
authentication, CSRF, messages and URL resolution run. It takes GET and HEAD
requests that carry no proven sign-in (apps/security/signed_in.py: a signed
marker bound to the session cookie; a bare or made-up session cookie proves
nothing), and finds a response only under the
exact address it was stored for; everything else (staff, previews, the flush
parameter, POSTs, other spellings of a page's URL) goes on to the view. The
middleware also stores what the view marked public, on its way out, with the
headers of every middleware inside it.

One gate: cache_gate(request) reads, in one Redis round trip, the list version,
the time the page was last flushed and, for the middleware, the page's whole
response. With caching switched off (BROADSHEET_CACHE=off) or Redis out of
reach it is closed (`open` is False), and every layer renders as if it were
empty, without another cache call.

Every entry expires in one of two ways, by what it shows:
- its own objects: their last_modified is part of its key (key-based
  expiration: a teaser, the article of a post page);
- the lists: it is stamped with the list version it was built for, and under
  any other version it counts as absent (whole responses, lists, rows; a
  template writes LIST_VERSION among a fragment's vary-on values). The stamp,
  not the key, carries the version, so the middleware reads a response and the
  current version in the same round trip, and each page keeps a single copy
  however often the lists change.
Within its version an entry is fresh for its jittered timeout. Past it, one
request rebuilds it under a short lock while the others keep serving the stale
copy (stampede protection); with no copy at all each request renders its own.
"""

import hashlib
import logging
import random
import time
from dataclasses import dataclass, field
from functools import wraps
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.dispatch import Signal
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.encoding import escape_uri_path
from django.utils.http import http_date, urlencode

from apps.replicas.router import RECENT_WRITE_COOKIE
from apps.security.clients import client_identity
from apps.security.ratelimit import seconds_until_allowed, too_many_requests
from apps.security.signed_in import holds_signed_in_user, is_signed_in

from .edge import EDGE_FETCH_HEADER, add_edge_keys, edge_keys, name_keys_on_render, name_missing_page
from .invalidation import flush_page
from .keys import FLUSH_PARAM, fragment_key, page_flushed_key, rebuild_lock_key, response_key, row_key
from .list_version import LIST_VERSION, LIST_VERSION_KEY, list_version, version_timestamp
from .permissions import can_flush_cache
from .process_cache import process_cache, remember

logger = logging.getLogger(__name__)

# Sent for every entry read, with its name, key and outcome; the debug
# toolbar's fragment panel listens to it.
cache_entry_used = Signal()
HIT, STALE, MISS, REBUILT, FLUSHED, UNCACHED = "hit", "stale", "miss", "rebuilt", "flushed", "uncached"
# Longer than any page takes to render; a crashed rebuilder frees it by itself.
REBUILD_LOCK_SECONDS = 30
# Headers a 304 repeats from the full response (RFC 9110, 15.4.5).
NOT_MODIFIED_HEADERS = ("Cache-Control", "Content-Location", "ETag", "Expires", "Last-Modified", "Vary")


# ---------------------------------------------------------------- the gate


@dataclass(frozen=True)
class CacheGate:
    """What one request knows of the cache, read once (one round trip)."""

    open: bool
    list_version: str = ""
    flushed_at: float = 0
    # Entries read in the same round trip: {cache key: Entry or None}.
    prefetched: dict = field(default_factory=dict)
    # Staff previews read entries but never write what readers get.
    read_only: bool = False


CLOSED = CacheGate(open=False)


def cache_gate(request, prefetch_keys=(), *, read_only=False):
    """The request's CacheGate: the first call reads it (with `prefetch_keys`), later calls reuse it."""
    gate = getattr(request, "cache_gate", None)
    if gate is None:
        gate = request.cache_gate = read_gate(request.path, prefetch_keys, read_only)
    return gate


def read_gate(path, prefetch_keys, read_only):
    if not settings.CACHE_ENABLED:
        return CLOSED
    flushed_key = page_flushed_key(path)
    found = cache.get_many([LIST_VERSION_KEY, flushed_key, *prefetch_keys])
    version = found.get(LIST_VERSION_KEY) or list_version()
    if version is None:
        # Redis is out of reach: render everything, ask it nothing more.
        return CLOSED
    return CacheGate(
        open=True,
        list_version=version,
        flushed_at=found.get(flushed_key, 0),
        prefetched={key: found.get(key) for key in prefetch_keys},
        read_only=read_only,
    )


def wants_flush(request):
    """The editorial `?flush-the-cache`: only for those with the permission
    (the Editors group), or anyone could make every request render uncached
    (a denial-of-service door), and only on a page the editor opened."""
    if FLUSH_PARAM not in request.GET or not is_top_level_navigation(request):
        return False
    if cache_gate(request).read_only:
        return False
    return can_flush_cache(request.user)


def is_top_level_navigation(request):
    """A click or a typed address, by the browser's Fetch Metadata headers. An
    <img>, script or fetch() pointed at `?flush-the-cache` (planted in a post's
    body, say) sends another mode or destination and must not flush the page for
    every editor whose browser loads it."""
    return (
        request.headers.get("Sec-Fetch-Mode") == "navigate"
        and request.headers.get("Sec-Fetch-Dest") == "document"
    )


# ---------------------------------------------------------------- stored entries


class Entry(NamedTuple):
    value: object
    fresh_until: float
    built_at: float
    # The list version it was built for; None when its key says what it depends on.
    list_version: str | None
    # The edge keys of what it shows (apps/caching/edge.py), added to the page's on a hit.
    edge_keys: tuple = ()


def jitter(seconds, variance=0.2):
    """The chapter's ±20% jitter, so entries stored together expire apart."""
    return random.randint(int(seconds * (1 - variance)), int(seconds * (1 + variance)))


def store_entry(key, value, timeout, list_version=None, edge_keys=()):
    now = time.time()
    if timeout is None:
        cache.set(key, Entry(value, float("inf"), now, list_version, edge_keys), timeout=None)
        return
    fresh_for = jitter(timeout)
    # Kept twice as long as it is fresh, so a stale copy is there to serve while one request rebuilds.
    cache.set(key, Entry(value, now + fresh_for, now, list_version, edge_keys), timeout=fresh_for * 2)


def read_entry(gate, key, per_list_version):
    """The stored Entry, or None when absent or built for other lists."""
    entry = gate.prefetched[key] if key in gate.prefetched else cache.get(key)
    if entry is None or (per_list_version and entry.list_version != gate.list_version):
        return None
    return entry


def is_fresh(entry, gate):
    return time.time() < entry.fresh_until and entry.built_at >= gate.flushed_at


def cached_entry(request, name, key, timeout, build, *, per_list_version):
    """Layers 5 and 6: the entry's value from the cache, or from build() when needed."""
    gate = cache_gate(request)
    if not gate.open:
        return _used(name, key, UNCACHED, build())
    stamp = gate.list_version if per_list_version else None

    def build_and_store():
        with edge_keys(request).building() as built_keys:
            value = build()
        store_entry(key, value, timeout, stamp, tuple(sorted(built_keys)))
        return value

    if wants_flush(request):
        return _used(name, key, FLUSHED, build_and_store())

    entry = read_entry(gate, key, per_list_version)
    if entry is not None and is_fresh(entry, gate):
        return _used(name, key, HIT, stored_value(request, entry))
    if gate.read_only or request.user.is_authenticated:
        return _used(name, key, UNCACHED, build())
    if entry is None:
        return _used(name, key, MISS, build_and_store())
    if not cache.add(rebuild_lock_key(key), 1, timeout=REBUILD_LOCK_SECONDS):
        return _used(name, key, STALE, stored_value(request, entry))
    try:
        value = build_and_store()
    finally:
        cache.delete(rebuild_lock_key(key))
    return _used(name, key, REBUILT, value)


def stored_value(request, entry):
    """A stored entry's value; what it shows counts for the page's edge keys as if built now."""
    edge_keys(request).add(*entry.edge_keys)
    return entry.value


def _used(name, key, outcome, value):
    logger.debug("cache entry %s %s (%s)", name, outcome, key)
    cache_entry_used.send(sender=None, fragment_name=name, cache_key=key, outcome=outcome)
    return value


# ---------------------------------------------------------------- validators (layers 1-4)


def page_address(request):
    """What a whole response is stored under: the path and the query as spelled.

    Not the Host: pages build every absolute URL from SITE_URL, so one copy
    serves any spelling of the host. get_host() still refuses a host that is
    not allowed (400), as it would further down the stack.
    """
    request.get_host()
    return f"{request.path}?{request.META.get('QUERY_STRING', '')}"


def page_validators(gate, request):
    """(ETag, Last-Modified seconds) of an anonymous page in this list version.

    The only place validators are made; stored responses carry them."""
    validator_source = "\n".join([gate.list_version, repr(gate.flushed_at), page_address(request)])
    digest = hashlib.md5(validator_source.encode(), usedforsecurity=False).hexdigest()
    last_modified = max(version_timestamp(gate.list_version), gate.flushed_at)
    return f'W/"{digest}"', int(last_modified)


def not_modified(request, etag, last_modified, headers=None):
    """A 304 when the client's copy is current (with `headers` a 304 repeats), else None."""
    if etag is None:
        return None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is not None and headers:
        for name in NOT_MODIFIED_HEADERS:
            if name in headers:
                response.headers[name] = headers[name]
    return response


def respond(request, remembered):
    """A stored response, or a 304 from its validators."""
    return not_modified(
        request, remembered.etag, remembered.last_modified, remembered.headers
    ) or HttpResponse(remembered.content, headers=remembered.headers)


# ---------------------------------------------------------------- layers 2-3: the middleware


class PageCacheMiddleware:
    """Answer warm anonymous pages before the rest of the middleware runs, and
    store the pages @public_page marks public on their way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not may_share_pages(request):
            return private_if_setting_cookies(self.get_response(request))
        key = response_key(page_address(request))

        # Layer 2: this process's memory, never for the edge: its copy may be up to
        # a second old, and a fetch right after a purge would store it for s-maxage.
        remembered = None if EDGE_FETCH_HEADER in request.headers else process_cache.get(key)
        if remembered is not None:
            return respond(request, _used("response", key, HIT, remembered))

        # Layer 3: Redis, in the gate's one round trip.
        gate = cache_gate(request, prefetch_keys=[key])
        if not gate.open:
            return self.rendered(request)
        entry = read_entry(gate, key, per_list_version=True)
        if entry is None:
            return self.render_and_store(request, key, gate)
        remembered = remember(*entry.value)
        if is_fresh(entry, gate):
            process_cache.set(key, remembered)
            return respond(request, _used("response", key, HIT, remembered))
        if not cache.add(rebuild_lock_key(key), 1, timeout=REBUILD_LOCK_SECONDS):
            return respond(request, _used("response", key, STALE, remembered))
        try:
            return self.render_and_store(request, key, gate)
        finally:
            cache.delete(rebuild_lock_key(key))

    def rendered(self, request):
        response = private_if_setting_cookies(self.get_response(request))
        if response.status_code == 404:
            # The edge keeps the 404 briefly: a post published at this address later purges it.
            name_missing_page(request, response)
        return response

    def render_and_store(self, request, key, gate):
        # Renders no layer could answer are metered per client: a flood of
        # made-up URLs gets 429s, not the CPU of every worker.
        retry_after = seconds_until_allowed(
            "page-miss",
            client_identity(request),
            settings.PAGE_MISSES_PER_CLIENT,
            settings.PAGE_MISS_WINDOW_SECONDS,
        )
        if retry_after is not None:
            return too_many_requests(retry_after)
        response = self.rendered(request)
        # An unproven cookie may still be a real session without a marker yet: a
        # page built for a signed-in user the view looked at is never shared.
        if request.method == "GET" and is_shareable(response) and not holds_signed_in_user(request):
            remembered = remember(response.content, dict(response.headers))
            store_entry(
                key, (remembered.content, remembered.headers), settings.CACHE_TTL_SHORT, gate.list_version
            )
            process_cache.set(key, remembered)
        return response


def may_share_pages(request):
    """GET or HEAD, caching on, no proven sign-in (a bare session cookie proves
    nothing) and not a reader who just wrote (read-your-writes: the page is theirs)."""
    return (
        request.method in ("GET", "HEAD")
        and settings.CACHE_ENABLED
        and not wrote_recently(request)
        and not is_signed_in(request)
    )


def wrote_recently(request):
    """The recent-write cookie by its name alone: a forged one only makes its sender's pages private."""
    return RECENT_WRITE_COOKIE in request.COOKIES


def private_if_setting_cookies(response):
    """A response that sets a cookie belongs to one client: no shared cache may keep it."""
    if response.cookies:
        patch_cache_control(response, private=True, no_store=True)
    return response


def is_shareable(response):
    """A complete 200 that the view marked public and that sets no cookie."""
    cache_control = {directive.strip() for directive in response.get("Cache-Control", "").split(",")}
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "public" in cache_control
        and "private" not in cache_control
    )


# ---------------------------------------------------------------- layer 4: the view


def public_page(page_params=None, edge_list=None):
    """For every readers' page. `page_params` maps each query parameter that
    changes the page to a function giving its canonical spelling (None to
    drop it, Http404 when invalid); any other parameter, or another spelling,
    is answered with a permanent redirect to the canonical URL, so one page is
    stored once whatever the spelling.

    Anonymous readers get a public page with validators built from the list
    version (a 304 from one cache read), which the middleware then stores.
    Signed-in users get a private page that always revalidates, rendered from
    the shared fragments; staff may flush it. `edge_list` names a page that is
    a list of its own (the feeds, the sitemaps) among its edge keys.
    """
    page_params = page_params or {}

    def decorator(view):
        @wraps(view)
        def public_view(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            canonical_query = canonical_page_query(request.GET, page_params)
            if request.META.get("QUERY_STRING", "") != canonical_query and not wants_flush(request):
                return redirect_to_query(request, canonical_query)
            if request.user.is_authenticated:
                return staff_page(request, view, args, kwargs)
            if wrote_recently(request):
                return reader_page(request, view, args, kwargs)
            gate = cache_gate(request)
            if not gate.open:
                return view(request, *args, **kwargs)
            etag, last_modified = page_validators(gate, request)
            response = not_modified(request, etag, last_modified) or view(request, *args, **kwargs)
            if response.status_code in (200, 304):
                response.headers["ETag"] = etag
                response.headers["Last-Modified"] = http_date(last_modified)
            patch_cache_control(response, public=True, **shared_lifetimes())
            if edge_list:
                add_edge_keys(request, edge_list)
            name_keys_on_render(request, response)
            return response

        return public_view

    return decorator


def shared_lifetimes():
    """Cache-Control of a public page: the browser's max-age, the edge's s-maxage
    and how long the edge may serve it stale (through Varnish's grace)."""
    return {
        "max_age": settings.CACHE_HTTP_MAX_AGE,
        "s_maxage": settings.CACHE_EDGE_MAX_AGE,
        "stale_while_revalidate": settings.CACHE_STALE_WHILE_REVALIDATE,
        "stale_if_error": settings.CACHE_STALE_IF_ERROR,
    }


def canonical_page_query(query_params, page_params):
    """The page's own parameters, each spelled one way, sorted by name as the
    edge sorts every query (std.querysort, project/deploy/default.vcl)."""
    kept = []
    for name, canonical in sorted(page_params.items()):
        spelled = query_params.get(name)
        value = None if spelled is None else canonical(spelled)
        if value is not None:
            kept.append((name, value))
    return urlencode(kept)


def redirect_to_query(request, query):
    path = escape_uri_path(request.path)
    return HttpResponsePermanentRedirect(f"{path}?{query}" if query else path)


def staff_page(request, view, args, kwargs):
    if wants_flush(request):
        # Readers' whole responses, rows and fragments of this page are rebuilt too.
        flush_page(request.path)
    response = view(request, *args, **kwargs)
    patch_cache_control(response, private=True, no_cache=True)
    return response


def reader_page(request, view, args, kwargs):
    """A reader who just wrote reads the primary for a while: their page is theirs alone."""
    response = view(request, *args, **kwargs)
    patch_cache_control(response, private=True, no_store=True)
    return response


def private_page(view):
    """For staff-only pages (previews): never stored by a shared cache; they
    read entries but never write what readers get."""

    @wraps(view)
    def private_view(request, *args, **kwargs):
        cache_gate(request, read_only=True)
        response = view(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_cache=True)
        return response

    return private_view


# ---------------------------------------------------------------- layer 5: rows


def cached_row(request, row_name, lookup, load):
    """load() (a row, or Http404), cached per list version: every change a page
    shows bumps it, so a cached row is never older than what readers may see.
    A 404 is never stored, so an unknown slug always asks the database."""
    return cached_entry(
        request, f"row:{row_name}", row_key(row_name, lookup), settings.CACHE_TTL_MIDDLE, load,
        per_list_version=True,
    )  # fmt: skip


# ---------------------------------------------------------------- layer 6: fragments


def cached_fragment(request, fragment_name, vary_on, timeout, render):
    """The engine behind {% cache %}: LIST_VERSION among `vary_on` stamps the
    fragment with the list version; every other value is part of its key."""
    per_list_version = any(value is LIST_VERSION for value in vary_on)
    key = fragment_key(fragment_name, [value for value in vary_on if value is not LIST_VERSION])
    return cached_entry(request, fragment_name, key, timeout, render, per_list_version=per_list_version)
