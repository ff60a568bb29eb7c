"""The SQL budget of every public page, as data: the queries a page runs cold
(cache off, or an empty cache), by name and in order. Warm, every page runs none.

A budget is checked against the SQL the test captured: each statement is named
by the one shape in QUERY_SHAPES it matches, and the names must equal the
budget. So a budget cannot say one thing while the page does another, and a
query added, dropped or reordered fails with its name (or its SQL, when it
matches no shape). tests/blog/test_query_counts.py checks them with the cache
off (20 and 100 per page, first and deep page), tests/caching/test_pages.py
with a cold and a warm cache, tests/replicas/test_replica.py on the replica.
"""

import re

# What each named query looks like in the SQL Django sends (re.search); every
# statement a public page runs matches exactly one of them.
QUERY_SHAPES = {
    # The header's list of sections, on every page that has a header.
    "sections": r'^SELECT "blog_category"\."id", "blog_category"\."name", "blog_category"\."slug" FROM',
    # The row a list page is about, found by its slug.
    "category": r'^SELECT "blog_category"\.".* FROM "blog_category" WHERE .*"blog_category"\."slug" = ',
    "tag": r'^SELECT "blog_tag"\.".* FROM "blog_tag" WHERE .*"blog_tag"\."slug" = ',
    "author": r'^SELECT "blog_author"\.".* FROM "blog_author" WHERE .*"blog_author"\."slug" = ',
    # One page of teasers: no body, the author and the category joined in (select_related).
    "teasers": (
        r'"blog_post"\."excerpt", "blog_post"\."hero_image", '
        r'.*"blog_post"\."last_modified", "blog_author"\."id"'
    ),
    # Search: the newest matching candidates ranked, with a snippet each; no COUNT.
    "ranked matches": r'^SELECT "blog_post"\..*ts_rank\(.*ts_headline\(',
    # The posts shown, with what each shows beside its teaser.
    "feed entries": r'^SELECT "blog_post"\..*"blog_post"\."excerpt", "blog_post"\."body_html"',
    "post": r'^SELECT "blog_post"\..*"blog_post"\."excerpt", "blog_post"\."body", "blog_post"\."body_html"',
    # Their tags, in one Prefetch for every post shown.
    "their tags": r'^SELECT \("blog_post_tags"\."post_id"\) AS "_prefetch_related_val_post_id"',
    # A post page: the older and the newer post in one UNION, then related posts:
    # the ids sharing a tag (a bounded range per tag), then those rows.
    "neighbours": r"^\(SELECT .* 'previous' AS \"direction\" FROM \"blog_post\"",
    "related ids": r'^\(SELECT "blog_post_tags"\."post_id" AS "post_id" FROM "blog_post_tags"',
    "related posts": (
        r'^SELECT "blog_post"\."id", "blog_post"\."title", "blog_post"\."slug", '
        r'"blog_post"\."published_at" FROM'
    ),
    # Sitemaps: the lowest and highest published post ids (the number of post
    # files), the posts of one file (a range of ids), the list pages in one UNION.
    "post id range": r'^SELECT MIN\("blog_post"\."id"\) AS "lowest", MAX\("blog_post"\."id"\) AS "highest"',
    "sitemap posts": r'^SELECT "blog_post"\."id", "blog_post"\."slug", "blog_post"\."last_modified" FROM',
    "sitemap pages": r'^\(SELECT "blog_category"\."slug" AS "slug", .* UNION ALL ',
    # Search's statement timeout, local to its transaction.
    "statement timeout": r"^SET LOCAL statement_timeout = ",
    # Under a test's own transaction that transaction is a savepoint; served, a
    # plain transaction sends neither statement as a query.
    "savepoint": r"^SAVEPOINT ",
    "release savepoint": r"^RELEASE SAVEPOINT ",
}
TEST_TRANSACTION_ONLY = ("savepoint", "release savepoint")

LIST_PAGE = ("sections", "teasers", "their tags")
QUERY_BUDGETS = {
    "home": LIST_PAGE,
    "archive_year": LIST_PAGE,
    "archive_month": LIST_PAGE,
    "category": ("category", *LIST_PAGE),
    "tag": ("tag", *LIST_PAGE),
    "author": ("author", *LIST_PAGE),
    "post": ("post", "their tags", "sections", "neighbours", "related ids", "related posts"),
    "feed_rss": ("feed entries",),
    "feed_atom": ("feed entries",),
    "search": (
        "savepoint",
        "statement timeout",
        "sections",
        "ranked matches",
        "their tags",
        "release savepoint",
    ),
    "sitemap": ("post id range", "sitemap pages"),
    "sitemap_posts": ("post id range", "sitemap posts"),
    "sitemap_pages": ("sitemap pages",),
    "robots_txt": (),
}

LIST_PAGES = ("home", "archive_year", "archive_month", "category", "tag", "author")

_COMPILED_SHAPES = {name: re.compile(shape) for name, shape in QUERY_SHAPES.items()}


def query_name(sql):
    """The name of the one shape `sql` matches; the SQL itself when it matches none or several."""
    names = [name for name, shape in _COMPILED_SHAPES.items() if shape.search(sql)]
    return names[0] if len(names) == 1 else f"{sql} (matches {names or 'no shape'})"


def queries_run(captured):
    """The names of the queries a django_assert_num_queries (or CaptureQueriesContext) block captured."""
    return tuple(query_name(query["sql"]) for query in captured.captured_queries)


def without_test_transaction(budget):
    """The budget as served outside a test's transaction (and on the replica)."""
    return tuple(name for name in budget if name not in TEST_TRANSACTION_ONLY)
