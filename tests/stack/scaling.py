"""`make scaling`: anonymous readers against one app server, then two behind
nginx, each with every read on the primary and with the replica serving the
readers' reads; writes requests/s, p99 and the share of transactions and rows
each PostgreSQL served into docs/scaling.md (between <!-- bench:scaling -->
markers). SCALING_SECONDS (default 20) per shape, SCALING_READERS threads.

The readers ask for pages the cache mostly does not hold yet (random stories of
the stack's STACK_POSTS, their categories, tags and authors), and the cache is
emptied before each shape, so the database is part of what is measured. The
servers' transaction counters (pg_stat_database) are read before the readers
start and after the app servers stop: a backend flushes its counters when it
exits, so no transaction is left uncounted.
"""

import json
import os
import random
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg2
import redis

from project.services import stack
from project.services.constants import DB_NAME
from tests.support.documents import markdown_table, today

from .harness import machine_description, percentile, say

SECONDS = int(os.environ.get("SCALING_SECONDS", "20"))
READERS = int(os.environ.get("SCALING_READERS", "8"))
SCALING_DOC = Path(stack.PROJECT_ROOT) / "docs" / "scaling.md"
SHAPES = (
    ("1 app server", "app-1", False),
    ("1 app server", "app-1", True),
    ("2 app servers behind nginx", "nginx", False),
    ("2 app servers behind nginx", "nginx", True),
)
STATS_SQL = (
    "SELECT xact_commit + xact_rollback, tup_returned + tup_fetched FROM pg_stat_database WHERE datname = %s"
)


def use_replica(on):
    """Point the app servers' config.json at the replica, or at nothing (all reads on the primary)."""
    config = json.loads(stack.CONFIG_FILE.read_text())
    ports = stack.load_state()["ports"]
    config["DATABASE_REPLICA_URLS"] = stack.deploy_config(ports)["DATABASE_REPLICA_URLS"] if on else []
    stack.CONFIG_FILE.write_text(json.dumps(config, indent=2))


def database_counters(parts):
    counters = {}
    for name in ("postgres", "postgres-replica"):
        with psycopg2.connect(parts[name].url) as connection, connection.cursor() as cursor:
            cursor.execute(STATS_SQL, [DB_NAME])
            counters[name] = cursor.fetchone()
        connection.close()
    return counters


def reader_paths(parts):
    """Stories, categories, tags and authors of the stack's database, in random order."""
    with psycopg2.connect(parts["postgres"].url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT '/posts/' || slug || '/' FROM blog_post WHERE status = 'published'")
        paths = [row[0] for row in cursor.fetchall()]
        for table, prefix in (("blog_category", "category"), ("blog_tag", "tag"), ("blog_author", "author")):
            cursor.execute(f"SELECT '/{prefix}/' || slug || '/' FROM {table}")  # noqa: S608 - fixed names
            paths += [row[0] for row in cursor.fetchall()]
    connection.close()
    random.Random(0).shuffle(paths)
    return paths


def read_for(base_url, paths, seconds):
    """READERS threads reading paths for `seconds`; [(status, milliseconds)]."""
    outcomes, lock = [], threading.Lock()
    deadline = time.monotonic() + seconds

    def read(number):
        index = number * len(paths) // READERS
        while time.monotonic() < deadline:
            path = paths[index % len(paths)] if index % 10 else "/"
            index += 1
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(base_url + path, timeout=30) as response:  # noqa: S310 - loopback
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            with lock:
                outcomes.append((status, (time.perf_counter() - started) * 1000))

    threads = [threading.Thread(target=read, args=(number,)) for number in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def measure(parts, paths, target, replica_on):
    use_replica(replica_on)
    app_servers = [parts[name] for name in stack.APP_SERVERS]
    for app_server in app_servers:
        app_server.stop()
        app_server.start()
    redis.Redis.from_url(json.loads(stack.CONFIG_FILE.read_text())["CACHE_URL"]).flushdb()
    before = database_counters(parts)
    outcomes = read_for(parts[target].url, paths, SECONDS)
    for app_server in app_servers:
        app_server.stop()
    time.sleep(1)
    after = database_counters(parts)
    served = {name: [a - b for a, b in zip(after[name], before[name], strict=True)] for name in after}
    total_transactions = sum(counts[0] for counts in served.values()) or 1
    total_rows = sum(counts[1] for counts in served.values()) or 1
    times = [milliseconds for _, milliseconds in outcomes]
    failed = sum(1 for status, _ in outcomes if status != 200)
    return [
        f"{len(outcomes) / SECONDS:.1f}",
        f"{percentile(times, 0.50):.0f}",
        f"{percentile(times, 0.99):.0f}",
        failed,
        f"{100 * served['postgres-replica'][0] / total_transactions:.0f}%",
        f"{100 * served['postgres-replica'][1] / total_rows:.0f}%",
    ]


def main():
    say("starting the stack")
    stack.start()
    parts = stack.components()
    paths = reader_paths(parts)
    rows = []
    try:
        for shape, target, replica_on in SHAPES:
            say(f"{shape}, reads on {'the replica' if replica_on else 'the primary'}: {SECONDS}s")
            rows.append(
                [shape, "replica" if replica_on else "primary", *measure(parts, paths, target, replica_on)]
            )
    finally:
        use_replica(True)
        for name in stack.APP_SERVERS:
            parts[name].ensure_up()
    table = markdown_table(
        [
            "app servers",
            "readers' reads on",
            "requests/s",
            "p50 ms",
            "p99 ms",
            "failed",
            "transactions on the replica",
            "rows read on the replica",
        ],
        rows,
    )
    body = (
        f"Measured {today()} by `make scaling`, one run of {SECONDS} s per shape, {READERS} reader threads"
        f" on the same machine: {machine_description()}.\n\n{table}"
    )
    update_section(body)
    say(f"wrote {SCALING_DOC.relative_to(stack.PROJECT_ROOT)}")


def update_section(body):
    start, end = "<!-- bench:scaling -->", "<!-- /bench:scaling -->"
    document = SCALING_DOC.read_text()
    before, rest = document.split(start, 1)
    SCALING_DOC.write_text(f"{before}{start}\n{body.strip()}\n{end}{rest.split(end, 1)[1]}")


if __name__ == "__main__":
    main()
