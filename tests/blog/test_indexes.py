"""Missing index: every list query walks an index over enough rows to matter.

A module-wide corpus of 30,000 posts (90% published, the rest drafts and
scheduled) is inserted with INSERT ... SELECT generate_series and ANALYZEd, so
the planner sees realistic statistics; on a tiny table it would rightly pick a
sequential scan and prove nothing. The corpus lives in one transaction that is
rolled back at the end of the module, and the statistics are then reset.
"""

import json
import re

import pytest
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from apps.blog.models import Author, Category, Post, Tag
from apps.blog.querysets import RELATED_PER_TAG
from apps.blog.search import SEARCH_CANDIDATES
from apps.blog.sitemaps import PostSitemap
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


def deep_sitemap_posts_query():
    """The last file of the posts sitemap: a range of ids on the primary key, no OFFSET."""
    paginator = PostSitemap().paginator
    return paginator.page(paginator.num_pages).object_list


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
    deep_sitemap_posts_query,
]


@pytest.mark.django_db
@pytest.mark.parametrize("list_query", LIST_QUERIES, ids=lambda query: query.__name__)
def test_list_query_uses_an_index_and_never_scans_posts(corpus, list_query):
    plan = list_query().explain()
    assert not SEQ_SCAN_ON_POSTS.search(plan), plan
    assert "Index" in plan, plan


@pytest.mark.django_db
def test_deep_keyset_page_reads_one_page_of_rows_not_the_offset(corpus):
    """Page ~500 costs what page 1 costs: the index is entered at the cursor (its
    own row, which proves the cursor, then one page and one more)."""
    plan = deep_home_query().explain(analyze=True, timing=False)
    rows_read = [int(rows) for rows in re.findall(r"Index Scan.*?actual rows=(\d+)", plan)]
    assert rows_read, plan
    assert max(rows_read) <= 22, plan


def _plan_nodes(plan):
    """Every node of a JSON plan, depth first."""
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += _plan_nodes(child)
    return nodes


def _analyzed_nodes(queryset):
    plan = json.loads(queryset.explain(format="json", analyze=True, timing=False))
    return _plan_nodes(plan[0]["Plan"])


def _scans(nodes):
    """(node type, relation or index, rows read) of every scan node."""
    return [
        (
            node["Node Type"],
            node.get("Index Name") or node.get("Relation Name"),
            node["Actual Rows"] * node["Actual Loops"],
        )
        for node in nodes
        if "Scan" in node["Node Type"] and ("Index Name" in node or "Relation Name" in node)
    ]


def _corpus_post(position):
    """The published post at `position` in date order (0 = oldest)."""
    return Post.objects.published().for_detail().order_by("published_at", "id")[position]


@pytest.mark.django_db
@pytest.mark.parametrize("position", [0, 13_000, -1], ids=["oldest", "middle", "newest"])
def test_neighbours_read_one_index_row_each_way(corpus, position):
    """The row comparison enters the date index at the post: one row read per direction, no sort."""
    published = Post.objects.published()
    post = _corpus_post(position if position >= 0 else published.count() - 1)
    with CaptureQueriesContext(connection) as captured:
        published.neighbours(post)
    (neighbours_sql,) = [query["sql"] for query in captured.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + neighbours_sql)
        nodes = _plan_nodes(cursor.fetchone()[0][0]["Plan"])
    scans = _scans(nodes)
    assert [index for _, index, _ in scans] == ["post_date_idx", "post_date_idx"], scans
    assert all(rows <= 1 for _, _, rows in scans), scans
    assert not [node for node in nodes if node["Node Type"] == "Sort"], scans


@pytest.mark.django_db
def test_related_posts_read_a_bounded_range_of_each_tag(corpus):
    """Each of the post's tags (about 1,100 posts each here, 485,000 for the largest at 1M)
    is read for its newest RELATED_PER_TAG rows only, from the (tag_id, post_id) index."""
    post = _corpus_post(13_000)
    tag_ids = [tag.id for tag in post.tag_list]
    scans = _scans(_analyzed_nodes(Post.objects.published().related_candidate_ids(tag_ids)))
    # Two or three tags: the corpus's tag formula depends on the ids the sequence gives out.
    assert len(tag_ids) >= 2
    assert len(scans) == len(tag_ids), scans
    assert {index for _, index, _ in scans} == {"post_tags_tag_post_idx"}, scans
    assert all(rows <= RELATED_PER_TAG for _, _, rows in scans), scans


@pytest.mark.django_db
def test_related_posts_take_two_queries(corpus, django_assert_num_queries):
    post = _corpus_post(13_000)
    post.tag_list  # noqa: B018 - prefetched with the post on its page
    with django_assert_num_queries(2):
        related = Post.objects.published().related_to(post)
    assert len(related) == 4
    assert post not in related


@pytest.mark.django_db
@pytest.mark.parametrize("word", ["council", "harbour", "lighthouse"], ids=["every", "one-in-five", "rare"])
def test_search_ranks_a_bounded_candidate_set(corpus, word):
    """However common the word, no scan of posts reads more than a few times the
    candidates (the newest matches), and only the candidates are ranked."""
    results = Post.objects.published().for_teasers().search(word)
    nodes = _analyzed_nodes(OffsetPage(results, QueryDict(), per_page=20, max_pages=20).page_queryset)
    scans = _scans(nodes)
    post_scans = [scan for scan in scans if scan[0] != "Seq Scan" or scan[1] == "blog_post"]
    assert not [scan for scan in scans if scan[0] == "Seq Scan" and scan[1] == "blog_post"], scans
    assert all(rows <= 5 * SEARCH_CANDIDATES for _, _, rows in post_scans), scans
    sorts = [node for node in nodes if node["Node Type"] == "Sort"]
    assert all(node["Actual Rows"] <= SEARCH_CANDIDATES for node in sorts), sorts


ADMIN_CHANGE_LISTS = {
    "all posts": {},
    "drafts": {"status__exact": "draft"},
    "scheduled": {"status__exact": "scheduled"},
    "published": {"status__exact": "published"},
    "one category": {"category__id__exact": "corpus-category-3"},
    "one author": {"author__id__exact": "corpus-author-5"},
    "an old year": {"published_at__year": "old"},
    "an old month": {"published_at__year": "old", "published_at__month": "6"},
    "title search, a word in every title": {"q": "corpus"},
    "title search, a rare number": {"q": "post 4242"},
}


def _admin_params(params):
    oldest_year = Post.objects.published().order_by("published_at").first().published_at.year
    resolved = {}
    for name, value in params.items():
        if name == "category__id__exact":
            value = Category.objects.get(slug=value).pk
        elif name == "author__id__exact":
            value = Author.objects.get(slug=value).pk
        elif value == "old":
            value = oldest_year + 1
        resolved[name] = value
    return resolved


@pytest.mark.django_db
@pytest.mark.parametrize("params", ADMIN_CHANGE_LISTS.values(), ids=ADMIN_CHANGE_LISTS.keys())
def test_admin_change_list_reads_one_page_of_an_index(corpus, admin_client, params):
    """Every view of the editors' change list walks a date index for one page
    (100 rows and the few it skips), however deep its year or month."""
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get("/admin/blog/post/", _admin_params(params))
    assert response.status_code == 200
    page_queries = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith('SELECT "blog_post"') and "ORDER BY" in query["sql"]
    ]
    assert page_queries
    post_scans = []
    for page_sql in page_queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + page_sql)
            nodes = _plan_nodes(cursor.fetchone()[0][0]["Plan"])
        post_scans += [
            scan for scan in _scans(nodes) if scan[1] and "post" in scan[1] and "tags" not in scan[1]
        ]
    assert post_scans, page_queries
    assert not [scan for scan in post_scans if scan[0] == "Seq Scan"], post_scans
    assert all(rows <= 3_000 for _, _, rows in post_scans), post_scans
