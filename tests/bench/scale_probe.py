"""The scale scenario's probe: picks its pages on one benchmark database and
measures each one's SQL cold, inside Django (run by tests/bench/scale.py).

    BROADSHEET_CACHE=off python -m tests.bench.scale_probe

Prints one JSON line: for each page its label, path, status, query count and
SQL time (median of REPEATS requests, cache off, so every request runs every
query of the page). Each request comes from its own client address, so the
search rate limit never answers in place of the database.
"""

import json
import statistics

import django

from .probe import QueryTimer

REPEATS = 3
COMMON_WORD = "harbour"
OR_WORDS = ["harbour", "library", "market", "bridge", "festival", "museum", "school", "river"]


def public_pages():
    from django.db.models import Count

    from apps.blog.models import Author, Category, Post, Tag

    published = Post.objects.published()
    by_date = published.order_by("-published_at", "-id")
    published_count = published.count()
    oldest = published.order_by("published_at", "id").only("slug", "published_at").first()
    middle = by_date.only("slug")[published_count // 2]
    newest = by_date.only("slug").first()
    tag_sizes = list(
        Post.tags.through.objects.values("tag_id").annotate(posts=Count("id")).order_by("posts", "tag_id")
    )
    tags = {
        "small": tag_sizes[0],
        "medium": tag_sizes[len(tag_sizes) // 2],
        "largest": tag_sizes[-1],
    }
    largest_category_id = (
        published.values("category_id").annotate(posts=Count("id")).order_by("-posts")[0]["category_id"]
    )
    old_year = oldest.published_at.year + 1
    pages = [
        ("post, oldest", oldest.get_absolute_url(), ""),
        ("post, middle", middle.get_absolute_url(), ""),
        ("post, newest", newest.get_absolute_url(), ""),
    ]
    for size, row in tags.items():
        tag = Tag.objects.get(pk=row["tag_id"])
        pages.append((f"tag, {size}", tag.get_absolute_url(), f"{row['posts']:,} posts"))
    pages += [
        ("category, largest", Category.objects.get(pk=largest_category_id).get_absolute_url(), ""),
        ("author", Author.objects.order_by("id").first().get_absolute_url(), ""),
        ("archive, an old year", f"/archive/{old_year}/", str(old_year)),
        ("archive, an old month", f"/archive/{old_year}/06/", f"{old_year}-06"),
        ("search, a common word", f"/search/?q={COMMON_WORD}", COMMON_WORD),
        ("search, a word and a negation", f"/search/?q={COMMON_WORD}+-council", f"{COMMON_WORD} -council"),
        (f"search, {len(OR_WORDS)} OR terms", "/search/?q=" + "+OR+".join(OR_WORDS), " OR ".join(OR_WORDS)),
        ("search, negation only (refused)", f"/search/?q=-{COMMON_WORD}", f"-{COMMON_WORD}"),
    ]
    return pages, old_year


def admin_pages(old_year):
    from apps.blog.models import Author, Category

    changelist = "/admin/blog/post/"
    category = Category.objects.order_by("id").first()
    author = Author.objects.order_by("id").first()
    return [
        ("admin: all posts", changelist, ""),
        ("admin: drafts", f"{changelist}?status__exact=draft", ""),
        ("admin: scheduled", f"{changelist}?status__exact=scheduled", ""),
        ("admin: published", f"{changelist}?status__exact=published", ""),
        ("admin: one category", f"{changelist}?category__id__exact={category.pk}", ""),
        ("admin: one author", f"{changelist}?author__id__exact={author.pk}", ""),
        ("admin: an old year", f"{changelist}?published_at__year={old_year}", str(old_year)),
        (
            "admin: an old month",
            f"{changelist}?published_at__month=6&published_at__year={old_year}",
            f"{old_year}-06",
        ),
        ("admin: title search, a common word", f"{changelist}?q={COMMON_WORD}", COMMON_WORD),
    ]


def measure_once(path, client, address):
    """(status, QueryTimer) of one request."""
    from django.db import connection

    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        response = client.get(path, REMOTE_ADDR=address)
    return response.status_code, timer


def measure_pages():
    """Every page REPEATS times, in rounds (page 1, 2, ... then again), so that
    a burst of load from elsewhere on the machine spreads over pages instead
    of spoiling every repeat of one; the median of each page's repeats."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    assert not settings.CACHE_ENABLED, "the scale probe measures cold pages: BROADSHEET_CACHE=off"
    public, old_year = public_pages()
    staff_user, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    staff_client = Client()
    staff_client.force_login(staff_user)
    pages = [(page, Client()) for page in public] + [(page, staff_client) for page in admin_pages(old_year)]
    timers = [[] for _ in pages]
    statuses = [None for _ in pages]
    for repeat in range(REPEATS):
        for number, ((_, path, _), client) in enumerate(pages):
            address = f"10.{repeat}.{number // 250}.{number % 250}"
            statuses[number], timer = measure_once(path, client, address)
            timers[number].append(timer)
    measured = []
    for ((label, path, detail), _), status, page_timers in zip(pages, statuses, timers, strict=True):
        statements = page_timers[-1].statements
        slowest_seconds, slowest_sql = max(statements) if statements else (0, "")
        measured.append(
            {
                "label": label,
                "path": path,
                "detail": detail,
                "status": status,
                "queries": len(statements),
                "sql_ms": statistics.median(timer.total_ms for timer in page_timers),
                "slowest_ms": slowest_seconds * 1000,
                "slowest": slowest_sql[:200],
            }
        )
    return measured


if __name__ == "__main__":
    django.setup()
    print(json.dumps(measure_pages()))
