"""Measurements taken inside Django, on a benchmark database (run by the harness).

    python -m tests.bench.probe requests '[{"path": "/bench/naive/", "staff": false}, ...]'
    python -m tests.bench.probe keyset-cursor 9979
    python -m tests.bench.probe published-count null

Prints one JSON line. Query counts come from Django's own CaptureQueriesContext
around a test-client request, so they are exact and need no debug flag on the
server under load.
"""

import json
import statistics
import sys

import django

REPEATS = 5


def measure_requests(requests):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    staff_user, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    results = []
    for request in requests:
        client = Client()
        if request.get("staff"):
            client.force_login(staff_user)
        runs = []
        for _ in range(REPEATS):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(request["path"])
            runs.append(captured.captured_queries)
        queries = runs[-1]
        results.append(
            {
                "path": request["path"],
                "status": response.status_code,
                "queries": len(queries),
                "sql_ms": statistics.median(
                    sum(float(query["time"]) for query in run) * 1000 for run in runs
                ),
                "count_star": any("COUNT(*)" in query["sql"].upper() for query in queries),
                "slowest": max(queries, key=lambda query: float(query["time"]))["sql"][:160]
                if queries
                else "",
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
