"""Measurements taken inside Django, on a benchmark database (run by the harness).

    python -m tests.bench.probe requests '[{"path": "/bench/naive/", "staff": false}, ...]'
    python -m tests.bench.probe keyset-cursor 9979
    python -m tests.bench.probe published-count null

Prints one JSON line. Queries are counted and timed by a connection
execute_wrapper around a test-client request, so they are exact and need no
debug flag on the server under load.
"""

import json
import statistics
import sys
import time

import django

REPEATS = 5


class QueryTimer:
    """Counts queries and adds up their wall time at full precision (Django's
    captured "time" is rounded to the millisecond, which hides sixty fast queries)."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((time.perf_counter() - started, sql))

    @property
    def total_ms(self):
        return sum(seconds for seconds, _ in self.statements) * 1000


def measure_requests(requests):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    staff_user, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    results = []
    for request in requests:
        client = Client()
        if request.get("staff"):
            client.force_login(staff_user)
        timers = []
        for _ in range(REPEATS):
            timer = QueryTimer()
            with connection.execute_wrapper(timer):
                response = client.get(request["path"])
            timers.append(timer)
        statements = timers[-1].statements
        results.append(
            {
                "path": request["path"],
                "status": response.status_code,
                "queries": len(statements),
                "sql_ms": statistics.median(timer.total_ms for timer in timers),
                "count_star": any("COUNT(*)" in sql.upper() for _, sql in statements),
                "slowest": max(statements)[1][:160] if statements else "",
            }
        )
    return results


def keyset_cursor(row_index):
    """The cursor of a published row in list order: "after" it starts the next page."""
    from apps.blog.models import Post
    from apps.core.pagination import encode_cursor

    published_at, pk = (
        Post.objects.published().order_by("-published_at", "-id").values_list("published_at", "id")[row_index]
    )
    return encode_cursor(published_at, pk)


def published_count(_):
    from apps.blog.models import Post

    return Post.objects.published().count()


COMMANDS = {"requests": measure_requests, "keyset-cursor": keyset_cursor, "published-count": published_count}

if __name__ == "__main__":
    django.setup()
    command, argument = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(COMMANDS[command](argument)))
