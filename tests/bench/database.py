"""Issue 4's scenario: the chapter's naive list against the optimized one.

Same template, same server, same run: the naive list (Post.objects.published()
with an author, category and tags query per teaser, Django's Paginator with
COUNT(*) and OFFSET) against the optimized one (the home page's for_teasers()
queryset and keyset pagination), on page 1 and a deep page, at each size.
The editors' change list is probed too: it must never COUNT(*) a big table.
"""

from .harness import gunicorn_server, machine_description, markdown_table, run_load, say, today

NAME = "database"
POSTS_PER_PAGE = 20
DEEP_PAGE = 500
ADMIN_PAGES = {
    "change list, unfiltered": "/admin/blog/post/",
    "change list, drafts": "/admin/blog/post/?status__exact=draft",
    "change list, one author": "/admin/blog/post/?author__id__exact=3",
    "change list, an old year": "/admin/blog/post/?published_at__year=2020",
    "change list, search": "/admin/blog/post/?q=harbour",
}


def list_pages(database):
    """(list, page number, path) for page 1 and a deep page of both lists."""
    published = database.probe("published-count", None)
    deep_page = min(DEEP_PAGE, published // POSTS_PER_PAGE)
    cursor = database.probe("keyset-cursor", (deep_page - 1) * POSTS_PER_PAGE - 1)
    return [
        ("naive", 1, "/bench/naive/"),
        ("naive", deep_page, f"/bench/naive/?page={deep_page}"),
        ("optimized", 1, "/bench/optimized/"),
        ("optimized", deep_page, f"/bench/optimized/?after={cursor}"),
    ]


def run(databases):
    list_rows, admin_rows, seeding_rows = [], [], []
    for database in databases:
        pages = list_pages(database)
        requests = [{"path": path} for _, _, path in pages]
        requests += [{"path": path, "staff": True} for path in ADMIN_PAGES.values()]
        measured = database.probe("requests", requests)
        list_measures, admin_measures = measured[: len(pages)], measured[len(pages) :]
        with gunicorn_server(database) as base_url:
            for (kind, page_number, path), measure in zip(pages, list_measures, strict=True):
                label = f"{database.posts} {kind} page {page_number}"
                say(f"load: {label}")
                load = run_load(base_url, path, label)
                list_rows.append(
                    [
                        f"{database.posts:,}",
                        kind,
                        page_number,
                        measure["queries"],
                        "yes" if measure["count_star"] else "no",
                        f"{measure['sql_ms']:.1f}",
                        f"{load.requests_per_second:.1f}",
                        f"{load.p50_ms:.0f}",
                        f"{load.p99_ms:.0f}",
                        load.failures,
                    ]
                )
        for (label, _), measure in zip(ADMIN_PAGES.items(), admin_measures, strict=True):
            admin_rows.append(
                [
                    f"{database.posts:,}",
                    label,
                    measure["status"],
                    measure["queries"],
                    "yes" if measure["count_star"] else "no",
                    f"{measure['sql_ms']:.1f}",
                    f"`{measure['slowest'][:90]}…`",
                ]
            )
        seeding_rows.append(
            [
                f"{database.posts:,}",
                f"{database.seed_seconds:.0f}",
                f"{database.posts / database.seed_seconds:,.0f}",
                "reused from an earlier run" if database.reused else "this run",
            ]
        )
    return "\n\n".join(
        [
            "## Database: the chapter's naive list against the optimized list",
            f"Measured {today()} on {machine_description()}.",
            "One template renders 20 teasers (title, author, category, date, excerpt, tags) both ways. "
            "*naive*: `Post.objects.published()` with Django's `Paginator` (COUNT(*), OFFSET) and a query "
            "per teaser for its author, category and tags. *optimized*: `Post.objects.published()"
            ".for_teasers()` (select_related, a Prefetch of three tag columns, deferred body) with keyset "
            "pagination. Queries and SQL time come from one in-process request (median of 5); "
            "requests/s and latency from Locust against gunicorn with deploy settings.",
            markdown_table(
                [
                    "posts",
                    "list",
                    "page",
                    "queries",
                    "COUNT(*)",
                    "SQL ms",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "failures",
                ],
                list_rows,
            ),
            "### Editors' change list (staff, in-process, median of 5)",
            markdown_table(
                ["posts", "page", "status", "queries", "COUNT(*)", "SQL ms", "slowest query"], admin_rows
            ),
            "### Seeding (`manage.py seed_demo --posts N`, COPY)",
            markdown_table(["posts", "seconds", "posts/s", "when"], seeding_rows),
        ]
    )
