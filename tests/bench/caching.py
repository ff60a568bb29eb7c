"""The cached page against its floor, a static file and Django's own per-site cache.

In one run, per database size, wrk against gunicorn with deploy settings, the
rows interleaved over several rounds (median requests/s) so that a busy
moment of the machine does not favour one row:

- *floor*: a Django view returning "hello" through the full middleware stack
  (bench URLconf only): no view can be served faster by this Django;
- *static file*: the site's CSS served by whitenoise through the same gunicorn;
- *Django's per-site cache*: the home page with Django's Update/FetchFromCache
  middleware around the uncached site (what a user would reach for instead);
- *Broadsheet, Redis only*: the home page answered by PageCacheMiddleware from
  Redis (one round trip), each process's memory switched off;
- *Broadsheet*: as deployed, the process memory in front of Redis;
- *optimized, uncached* and *naive*: the same page with the cache off, and the
  chapter's N+1 list.

The cold page cannot be load-tested (the first request warms it), so its
latency is measured one request at a time over HTTP: after emptying the
benchmark's Redis database (everything cold), and after dropping only the list
version (the Russian doll: the list rebuilds, its teasers are reused).
"""

import contextlib
import os
import re
import statistics
import time
import urllib.error
import urllib.request

import redis

from project.services import constants

from .harness import (
    BENCH_REDIS_DB,
    WRK_CONNECTIONS,
    gunicorn_server,
    machine_description,
    markdown_table,
    run_wrk,
    say,
    today,
    warm_up,
    with_redis_db,
)

NAME = "caching"
COLD_SAMPLES = 15
# django-redis's key for apps.caching.list_version.LIST_VERSION_KEY under the deploy KEY_PREFIX.
LIST_VERSION_REDIS_KEY = "broadsheet:1:version:post_lists"
HOME = "/"


class ServerVariant:
    """The same benchmark database, served by processes started with extra environment."""

    def __init__(self, database, suffix, extra_env):
        self.database = database
        self.name = f"{database.name}-{suffix}"
        self.extra_env = extra_env

    @property
    def env(self):
        return {**self.database.env, **self.extra_env}


def cache_off(database):
    return ServerVariant(database, "cache-off", {"BROADSHEET_CACHE": "off"})


def redis_only(database):
    """Caching on, but no process memory of recent responses: every request asks Redis."""
    return ServerVariant(database, "redis-only", {"BROADSHEET_CACHE_PROCESS_SECONDS": "0"})


def timed_get(base_url, path, headers=None):
    request = urllib.request.Request(base_url + path, headers=headers or {})  # noqa: S310 - loopback
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != (304 if headers else 200):
        raise RuntimeError(f"{path} answered {status}")
    return (time.perf_counter() - started) * 1000


def etag_of(base_url, path):
    with urllib.request.urlopen(base_url + path, timeout=60) as response:  # noqa: S310 - loopback
        return response.headers["ETag"]


def cold_latencies(base_url, bench_cache):
    """Median ms of the home page: everything cold, only the list cold, warm, 304."""
    everything_cold, list_cold, warm, not_modified = [], [], [], []
    for _ in range(COLD_SAMPLES):
        bench_cache.flushdb()
        everything_cold.append(timed_get(base_url, HOME))
        bench_cache.delete(LIST_VERSION_REDIS_KEY)
        list_cold.append(timed_get(base_url, HOME))
        warm.append(timed_get(base_url, HOME))
        not_modified.append(timed_get(base_url, HOME, {"If-None-Match": etag_of(base_url, HOME)}))
    return {
        "everything cold": statistics.median(everything_cold),
        "list cold, teasers warm": statistics.median(list_cold),
        "warm": statistics.median(warm),
        "304 to If-None-Match": statistics.median(not_modified),
    }


ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
STATIC_CSS = re.compile(rb'href="(/static/css/site[^"]*\.css)"')


def site_cache(database):
    return ServerVariant(database, "site-cache", {"BENCH_DJANGO_SITE_CACHE": "1"})


def static_css_path(base_url):
    with urllib.request.urlopen(base_url + HOME, timeout=60) as response:  # noqa: S310 - loopback
        return STATIC_CSS.search(response.read()).group(1).decode()


def interleaved_throughput(targets):
    """{label: LoadResult with the median requests/s} over ROUNDS rounds of every target in turn."""
    for base_url, path in targets.values():
        warm_up(base_url, path)
    results = {label: [] for label in targets}
    for round_number in range(ROUNDS):
        say(f"wrk round {round_number + 1} of {ROUNDS}")
        for label, (base_url, path) in targets.items():
            results[label].append(run_wrk(base_url, path, WRK_SECONDS))
    return {
        label: sorted(runs, key=lambda run: run.requests_per_second)[len(runs) // 2]
        for label, runs in results.items()
    }


def run(databases):
    load_rows, cold_rows = [], []
    bench_cache = redis.Redis.from_url(with_redis_db(constants.CACHE_URL, BENCH_REDIS_DB))
    for database in databases:
        bench_cache.flushdb()
        with contextlib.ExitStack() as servers:
            deployed = servers.enter_context(gunicorn_server(database))
            uncached = servers.enter_context(gunicorn_server(cache_off(database)))
            only_redis = servers.enter_context(gunicorn_server(redis_only(database)))
            django_cache = servers.enter_context(gunicorn_server(site_cache(database)))
            targets = {
                "floor: Django hello view": (deployed, "/bench/hello/"),
                "static CSS file (whitenoise)": (deployed, static_css_path(deployed)),
                "home, Django's per-site cache": (django_cache, HOME),
                "home, Broadsheet, Redis only": (only_redis, HOME),
                "home, Broadsheet (process memory + Redis)": (deployed, HOME),
                "home, optimized, uncached": (uncached, HOME),
                "naive list, uncached": (deployed, "/bench/naive/"),
            }
            say(f"throughput: {database.posts} posts")
            measured = interleaved_throughput(targets)
            say(f"cold latencies: {database.posts}")
            uncached_ms = statistics.median(timed_get(uncached, HOME) for _ in range(COLD_SAMPLES))
            latencies = cold_latencies(only_redis, bench_cache)
        floor = measured["floor: Django hello view"].requests_per_second
        static = measured["static CSS file (whitenoise)"].requests_per_second
        for label, load in measured.items():
            load_rows.append(
                [
                    f"{database.posts:,}",
                    label,
                    f"{load.requests_per_second:.0f}",
                    f"{load.requests_per_second / floor:.0%}",
                    f"{load.requests_per_second / static:.0%}",
                    f"{load.p50_ms:.2f}",
                    f"{load.p99_ms:.2f}",
                    load.failures,
                ]
            )
        cold_rows.append(
            [
                f"{database.posts:,}",
                f"{uncached_ms:.1f}",
                *(f"{milliseconds:.1f}" for milliseconds in latencies.values()),
            ]
        )
    return "\n\n".join(
        [
            "## Caching: the warm page against the floor, a static file and Django's per-site cache",
            f"Measured {today()} on "
            + machine_description(
                f"wrk (2 threads, {WRK_CONNECTIONS} connections) on the same cores, {ROUNDS} "
                f"interleaved rounds of {WRK_SECONDS} s per row, median requests/s"
            )
            + ".",
            "*floor*: a Django view that returns `hello` through the whole middleware stack. *static CSS "
            "file*: the site's stylesheet served by whitenoise through the same gunicorn. *Django's per-site "
            "cache*: `UpdateCacheMiddleware`/`FetchFromCacheMiddleware` around the uncached site, whole "
            "responses in the same Redis. *Broadsheet, Redis only*: the home page answered by "
            "`PageCacheMiddleware` (apps/caching/pipeline.py) before sessions, authentication and URL "
            "resolution, its response and the list version read in one Redis round trip, on a server "
            "started with `BROADSHEET_CACHE_PROCESS_SECONDS=0`. *Broadsheet*: as deployed, each process "
            "also answering from its memory of the last second. *optimized, uncached*: the home page "
            "(2 queries, every template) with `BROADSHEET_CACHE=off`. *naive*: the chapter's N+1 list. "
            "Warm pages run 0 queries (tests/caching/test_pages.py).",
            markdown_table(
                ["posts", "page", "req/s", "of floor", "of static file", "p50 ms", "p99 ms", "failures"],
                load_rows,
            ),
            f"### One request at a time (median of {COLD_SAMPLES}, ms over HTTP, Redis only)",
            "*everything cold*: the benchmark's Redis database emptied first. *list cold, teasers warm*: "
            "only the list version dropped, as a publish does: the outer fragment and its query rerun, "
            "each teaser comes from the cache (the Russian doll). *304*: a conditional request with the "
            "page's ETag, answered from the list version alone.",
            markdown_table(
                ["posts", "uncached", "everything cold", "list cold, teasers warm", "warm", "304"], cold_rows
            ),
        ]
    )
