"""The SQL budget of every public page, in one table: the exact number of
queries a page runs cold (cache off, or an empty cache); warm, every page runs
none. tests/blog/test_query_counts.py pins them with the cache off (20 and 100
per page, first and deep page), tests/caching/test_pages.py with a cold and a
warm cache."""

QUERY_BUDGETS = {
    # Every page's header lists the sections: one query of each page's budget
    # (feeds and sitemaps have no header).
    # teasers, then their tags (one Prefetch), the sections
    "home": 3,
    "archive_year": 3,
    "archive_month": 3,
    # the category, tag or author row, then teasers and tags, the sections
    "category": 4,
    "tag": 4,
    "author": 4,
    # post with author and category, its tags, neighbours (one UNION), related ids, related rows, sections
    "post": 6,
    "feed_rss": 1,
    "feed_atom": 1,
    # the statement timeout (SET LOCAL, in a savepoint under the tests' transaction:
    # SAVEPOINT and RELEASE are counted here, a plain transaction in production
    # sends neither as a query), the sections, ranked matches with snippets, their tags; no COUNT
    "search": 6,
    # the posts section's page count (the planner's estimate, then an exact count
    # because it is small), then the list pages' one UNION
    "sitemap": 3,
    "sitemap_posts": 3,
    "sitemap_pages": 1,
}

LIST_PAGES = ("home", "archive_year", "archive_month", "category", "tag", "author")
