"""Server-Timing and the slow-query log: the debug toolbar's first answers, on
the deployed site, without DEBUG.

Every response to staff (to everyone when SERVER_TIMING_PUBLIC is on) says
where its time went, in the browser's network panel:

    Server-Timing: total;dur=41.2, db;dur=12.0;desc="3 queries",
                   cache;dur=1.9;desc="4 hits, 1 miss", render;dur=20.3

Every query slower than SLOW_QUERY_MILLISECONDS (the chapter's 50 ms) is
logged, for everyone, on the "broadsheet.slow_queries" logger as one line:

    slow_query ms=73.4 view=blog:category sql=SELECT ... WHERE ("blog_post"."category_id" = ? ...) LIMIT ?

The SQL's shape has every parameter and literal replaced by ?, so lines of one
query group together and no reader's data reaches the log. Database time is
measured with connection.execute_wrapper(), cache time by wrapping the cache
backends' methods (as the debug toolbar's cache panel does), render time
around the outermost template render. Sits first in MIDDLEWARE, so "total"
covers every other middleware, the cache layers included.
"""

import contextlib
import contextvars
import functools
import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.template.backends.django import Template as DjangoBackendTemplate

slow_query_logger = logging.getLogger("broadsheet.slow_queries")

STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
NUMBER_LITERAL = re.compile(r"(?<![\w.\"$])-?\d+(?:\.\d+)?\b")
PLACEHOLDER = re.compile(r"%s|%\(\w+\)s")
PLACEHOLDER_LIST = re.compile(r"\?(?:\s*,\s*\?)+")
WHITESPACE = re.compile(r"\s+")

CACHE_READS = ("get", "get_many")
CACHE_WRITES = ("set", "set_many", "add", "delete", "delete_many", "touch", "incr")
INSTRUMENTED_ATTRIBUTE = "_server_timing_instrumented"


def sql_shape(sql):
    """The query with its parameters and literals removed: `IN (?, …)`, `LIMIT ?`."""
    shape = STRING_LITERAL.sub("?", sql)
    shape = PLACEHOLDER.sub("?", shape)
    shape = NUMBER_LITERAL.sub("?", shape)
    shape = PLACEHOLDER_LIST.sub("?, …", shape)
    return WHITESPACE.sub(" ", shape).strip()


@dataclass
class RequestTimings:
    db_seconds: float = 0.0
    queries: int = 0
    cache_seconds: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    render_seconds: float = 0.0
    rendering: bool = False

    def header(self, total_seconds):
        misses = "miss" if self.cache_misses == 1 else "misses"
        hits = "hit" if self.cache_hits == 1 else "hits"
        queries = "query" if self.queries == 1 else "queries"
        return ", ".join(
            [
                f"total;dur={total_seconds * 1000:.1f}",
                f'db;dur={self.db_seconds * 1000:.1f};desc="{self.queries} {queries}"',
                f'cache;dur={self.cache_seconds * 1000:.1f};desc="{self.cache_hits} {hits}, '
                f'{self.cache_misses} {misses}"',
                f"render;dur={self.render_seconds * 1000:.1f}",
            ]
        )


# The timings of the request this thread (or task) is serving; None outside one.
current_timings = contextvars.ContextVar("server_timing", default=None)


class QueryTimer:
    """connection.execute_wrapper(): time every query, log the slow ones."""

    def __init__(self, request, timings):
        self.request = request
        self.timings = timings

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.timings.db_seconds += elapsed
            self.timings.queries += 1
            if elapsed * 1000 > settings.SLOW_QUERY_MILLISECONDS:
                self.log_slow_query(sql, elapsed)

    def log_slow_query(self, sql, elapsed):
        match = getattr(self.request, "resolver_match", None)
        view = match.view_name if match else "-"
        slow_query_logger.warning("slow_query ms=%.1f view=%s sql=%s", elapsed * 1000, view, sql_shape(sql))


def _timed_cache_method(method, counts_hits):
    @functools.wraps(method)
    def timed(*args, **kwargs):
        timings = current_timings.get()
        if timings is None:
            return method(*args, **kwargs)
        started = time.perf_counter()
        try:
            result = method(*args, **kwargs)
        finally:
            timings.cache_seconds += time.perf_counter() - started
        if counts_hits:
            if isinstance(result, dict):
                keys = args[0] if args else kwargs.get("keys", ())
                timings.cache_hits += len(result)
                timings.cache_misses += len(keys) - len(result)
            elif result is None:
                timings.cache_misses += 1
            else:
                timings.cache_hits += 1
        return result

    return timed


def instrument_caches():
    """Wrap the methods of this thread's cache backends, once per backend instance."""
    for alias in settings.CACHES:
        backend = caches[alias]
        if getattr(backend, INSTRUMENTED_ATTRIBUTE, False):
            continue
        for name in CACHE_READS + CACHE_WRITES:
            if hasattr(backend, name):
                setattr(backend, name, _timed_cache_method(getattr(backend, name), name in CACHE_READS))
        setattr(backend, INSTRUMENTED_ATTRIBUTE, True)


def _timed_render(render):
    @functools.wraps(render)
    def timed(self, *args, **kwargs):
        timings = current_timings.get()
        if timings is None or timings.rendering:
            return render(self, *args, **kwargs)
        timings.rendering = True
        started = time.perf_counter()
        try:
            return render(self, *args, **kwargs)
        finally:
            timings.render_seconds += time.perf_counter() - started
            timings.rendering = False

    return timed


def instrument_template_rendering():
    """Time the outermost template render of a request: pages, fragments
    rendered inside it (includes, inclusion tags, nested renders) count once.
    Called once, from OpsConfig.ready()."""
    if not getattr(DjangoBackendTemplate.render, INSTRUMENTED_ATTRIBUTE, False):
        DjangoBackendTemplate.render = _timed_render(DjangoBackendTemplate.render)
        setattr(DjangoBackendTemplate.render, INSTRUMENTED_ATTRIBUTE, True)


def shows_server_timing(request):
    if settings.SERVER_TIMING_PUBLIC:
        return True
    user = getattr(request, "user", None)
    return user is not None and user.is_staff


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        instrument_caches()
        timings = RequestTimings()
        token = current_timings.set(timings)
        started = time.perf_counter()
        try:
            with contextlib.ExitStack() as stack:
                for connection in connections.all():
                    stack.enter_context(connection.execute_wrapper(QueryTimer(request, timings)))
                response = self.get_response(request)
        finally:
            current_timings.reset(token)
        if shows_server_timing(request):
            response["Server-Timing"] = timings.header(time.perf_counter() - started)
        return response
