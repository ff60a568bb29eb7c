"""Missing index: every list query walks an index over enough rows to matter.

A module-wide corpus of 30,000 posts (90% published, the rest drafts and
scheduled) is inserted with INSERT ... SELECT generate_series and ANALYZEd, so
the planner sees realistic statistics; on a tiny table it would rightly pick a
sequential scan and prove nothing. The corpus lives in one transaction that is
rolled back at the end of the module, and the statistics are then reset.
"""

import re

import pytest
from django.db import connection, transaction
from django.http import QueryDict

from apps.blog.models import Author, Category, Post, Tag
from apps.core.pagination import KeysetPage, OffsetPage, encode_cursor

CORPUS_POSTS = 30_000
SEQ_SCAN_ON_POSTS = re.compile(r"Seq Scan on blog_post\b(?!_)")

CORPUS_SQL = """
INSERT INTO blog_author (name, slug, bio, avatar, avatar_thumbnails, last_modified)
SELECT 'Author ' || n, 'corpus-author-' || n, '', '', '{}', now() FROM generate_series(1, 40) n;
INSERT INTO blog_category (name, slug, description, last_modified)
SELECT 'Category ' || n, 'corpus-category-' || n, '', now() FROM generate_series(1, 12) n;
INSERT INTO blog_tag (name, slug, last_modified)
SELECT 'Tag ' || n, 'corpus-tag-' || n, now() FROM generate_series(1, 80) n;
INSERT INTO blog_post (
    title, slug, author_id, category_id, excerpt, body, body_html, hero_image, hero_image_alt,
    hero_thumbnails, status, published_at, created, last_modified
)
SELECT
    'Corpus post ' || n,
    'corpus-post-' || n,
    (SELECT min(id) FROM blog_author WHERE slug LIKE 'corpus-%%') + n %% 40,
    (SELECT min(id) FROM blog_category WHERE slug LIKE 'corpus-%%') + n %% 12,
    'Summary ' || n,
    'The council met about the ' || (ARRAY['harbour', 'library', 'budget', 'school', 'tram'])[1 + n %% 5]
        || CASE WHEN n %% 200 = 7 THEN ' and the lighthouse keeper' ELSE '' END || '. ' || md5(n::text),
    '<p>rendered</p>', '', '', '{}',
    CASE WHEN n %% 20 = 0 THEN 'draft' WHEN n %% 20 = 1 THEN 'scheduled' ELSE 'published' END,
    CASE WHEN n %% 20 = 0 THEN NULL
         WHEN n %% 20 = 1 THEN now() + n * interval '1 minute'
         ELSE now() - n * interval '17 minutes' END,
    now(), now()
FROM generate_series(1, %(posts)s) n;
INSERT INTO blog_post_tags (post_id, tag_id)
SELECT DISTINCT p.id, t.first_tag + (p.id * k) %% 80
FROM blog_post p, (SELECT min(id) AS first_tag FROM blog_tag WHERE slug LIKE 'corpus-%%') t,
     (VALUES (1), (7), (31)) AS multipliers(k)
WHERE p.slug LIKE 'corpus-%%';
INSERT INTO blog_tag (name, slug, last_modified) VALUES ('Rare', 'corpus-rare-tag', now());
INSERT INTO blog_post_tags (post_id, tag_id)
SELECT p.id, (SELECT id FROM blog_tag WHERE slug = 'corpus-rare-tag')
FROM blog_post p WHERE p.slug LIKE 'corpus-%%' ORDER BY p.id LIMIT 5 OFFSET 20000;
ANALYZE blog_author, blog_category, blog_tag, blog_post, blog_post_tags;
"""


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(CORPUS_SQL, {"posts": CORPUS_POSTS})
            # Check the deferred foreign keys once now, not in every test's teardown.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
        yield
        transaction.set_rollback(True)
    # ANALYZE's row estimates outlive the rollback: reset them to the emptied
    # tables, or estimate-based code in later tests would see 30k phantom posts.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("ANALYZE blog_author, blog_category, blog_tag, blog_post, blog_post_tags")


def _first_page(queryset):
    return KeysetPage(queryset, QueryDict(), per_page=20).page_queryset


def _deep_page(queryset):
    """A page two thirds of the way down the list (page ~900 of the home page)."""
    cursor_post = queryset.order_by("-published_at", "-id")[queryset.count() * 2 // 3]
    query_params = QueryDict(mutable=True)
    query_params["after"] = encode_cursor(cursor_post.published_at, cursor_post.pk)
    return KeysetPage(queryset, query_params, per_page=20).page_queryset


def home_query():
    return _first_page(Post.objects.published().for_teasers())


def deep_home_query():
    return _deep_page(Post.objects.published().for_teasers())


def category_query():
    category = Category.objects.get(slug="corpus-category-3")
    return _first_page(Post.objects.published().filter(category=category).for_teasers())


def deep_category_query():
    category = Category.objects.get(slug="corpus-category-3")
    return _deep_page(Post.objects.published().filter(category=category).for_teasers())


def author_query():
    author = Author.objects.get(slug="corpus-author-5")
    return _first_page(Post.objects.published().filter(author=author).for_teasers())


def tag_query():
    tag = Tag.objects.get(slug="corpus-tag-9")
    return _first_page(Post.objects.published().tagged(tag).for_teasers())


def deep_tag_query():
    tag = Tag.objects.get(slug="corpus-tag-9")
    return _deep_page(Post.objects.published().tagged(tag).for_teasers())


def rare_tag_query():
    """Five posts deep in the list: the planner starts from the tag's rows instead."""
    tag = Tag.objects.get(slug="corpus-rare-tag")
    return _first_page(Post.objects.published().tagged(tag).for_teasers())


def archive_month_query():
    newest = Post.objects.published().order_by("-published_at").first().published_at
    return _first_page(Post.objects.published().in_month(newest.year, newest.month).for_teasers())


def search_query():
    results = Post.objects.published().for_teasers().search("lighthouse")
    return OffsetPage(results, QueryDict(), per_page=20, max_pages=20).page_queryset


def detail_query():
    return Post.objects.published().for_detail().filter(slug="corpus-post-4242")


def admin_title_search_query():
    """What the admin's search box runs: UPPER(title) LIKE '%…%' over every post."""
    return Post.objects.filter(title__icontains="post 4242").order_by("-id")[:100]


def tag_page_lookup_query():
    return Tag.objects.with_published_posts().filter(slug="corpus-tag-9")


def category_page_lookup_query():
    return Category.objects.with_published_posts().filter(slug="corpus-category-3")


def author_page_lookup_query():
    return Author.objects.with_published_posts().filter(slug="corpus-author-5")


def sitemap_tags_query():
    """The sitemap's largest part: every tag with a published post."""
    return Tag.objects.with_published_posts()


LIST_QUERIES = [
    home_query,
    deep_home_query,
    category_query,
    deep_category_query,
    author_query,
    tag_query,
    deep_tag_query,
    rare_tag_query,
    archive_month_query,
    search_query,
    detail_query,
    admin_title_search_query,
    tag_page_lookup_query,
    category_page_lookup_query,
    author_page_lookup_query,
    sitemap_tags_query,
]


@pytest.mark.django_db
@pytest.mark.parametrize("list_query", LIST_QUERIES, ids=lambda query: query.__name__)
def test_list_query_uses_an_index_and_never_scans_posts(corpus, list_query):
    plan = list_query().explain()
    assert not SEQ_SCAN_ON_POSTS.search(plan), plan
    assert "Index" in plan, plan


@pytest.mark.django_db
def test_deep_keyset_page_reads_one_page_of_rows_not_the_offset(corpus):
    """Page ~500 costs what page 1 costs: the index is entered at the cursor."""
    plan = deep_home_query().explain(analyze=True, timing=False)
    rows_read = [int(rows) for rows in re.findall(r"Index Scan.*?actual rows=(\d+)", plan)]
    assert rows_read, plan
    assert max(rows_read) <= 21, plan
