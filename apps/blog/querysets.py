"""Every query the readers' pages run, one method per list (django-oscar's
base_queryset idea): a page cannot forget its joins, and nobody filters on
status by hand.

Every bulk write that changes what readers see is a PostQuerySet method too
(publish_now, unpublish, publish_due, touch): one UPDATE that also bumps
last_modified (the posts' own fragments get new keys), the editors' version
when it changes what an editor's form holds (all but touch), and schedules,
for after the commit, the list version's bump and the edges' purge of the
posts' pages and lists (expire_on_commit; apps/caching/invalidation.py). The
admin's actions, the beat task and the signals call them in one line, so none
of them can forget the invalidation. A single post saved through the admin
form goes through Post.save() and the post_save signal instead.
"""

import datetime
from collections import Counter
from typing import NamedTuple

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.search import SearchHeadline, SearchRank
from django.db import models
from django.db.models import F, Prefetch, Q, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from apps.caching.edge import list_key, page_key, post_key, purge_on_commit, purges_enabled
from apps.caching.invalidation import expire_lists_on_commit
from apps.core.pagination import RowComparison

from .search import HIGHLIGHT_START, HIGHLIGHT_STOP, SEARCH_CANDIDATES, SEARCH_CONFIG, search_query

# Columns a teaser never shows ("results are too large": defer the body).
HEAVY_COLUMNS = ("body", "body_html", "search_vector")
RELATED_POSTS = 4
# Candidates for related posts: some may be drafts or future-dated, which the
# second query drops, so ask for a few more ids than we show.
RELATED_CANDIDATES = RELATED_POSTS * 3
# How many of each tag's newest posts are candidates for sharing most tags.
RELATED_PER_TAG = 200


class Neighbours(NamedTuple):
    previous: object
    next: object


class FormerSlugsQuerySet(models.QuerySet):
    def formerly_at(self, slug):
        """The row that answered at `slug` before a rename (KeepsFormerSlugs in
        models.py), in one query; none while a row holds that slug now (a new
        draft that took it), so an old link never leads past the new owner."""
        slug_taken = self.model._base_manager.filter(slug=slug)
        return self.filter(former_slugs__slug=slug).filter(~models.Exists(slug_taken))


class PostQuerySet(FormerSlugsQuerySet):
    def published(self):
        """What the public may see: published, and not dated in the future."""
        return self.filter(status=self.model.Status.PUBLISHED, published_at__lte=timezone.now())

    def due_for_publishing(self, now):
        """Scheduled posts whose time has come (publish_due() hands them over)."""
        return self.filter(status=self.model.Status.SCHEDULED, published_at__lte=now)

    # ------------------------------------------------------------ writes readers see

    def publish_now(self):
        """Publish these posts at once; return how many. Past dates are kept; no
        date or a future one becomes now, so each post is public at once (a
        future-dated "published" post would stay hidden)."""
        now = timezone.now()
        post_ids = self.edge_ids()
        published_count = self.update(
            status=self.model.Status.PUBLISHED,
            published_at=Least(Coalesce("published_at", now), now),
            last_modified=now,
            version=F("version") + 1,
        )
        self.expire_on_commit(post_ids)
        return published_count

    def unpublish(self):
        """Send these posts back to draft; return how many. They also leave "most
        read" once that commits."""
        # Imported here: popularity reads the models, which import this module.
        from .popularity import forget_posts_on_commit

        unpublished_ids = list(self.values_list("pk", flat=True))
        unpublished_count = self.update(
            status=self.model.Status.DRAFT, last_modified=timezone.now(), version=F("version") + 1
        )
        self.expire_on_commit(unpublished_ids, retracted=True)
        forget_posts_on_commit(unpublished_ids)
        return unpublished_count

    def publish_due(self, now=None):
        """Scheduled publishing: every scheduled post whose time has come goes
        live; return how many. Idempotent: a second run finds none.

        One conditional UPDATE: PostgreSQL checks `status = 'scheduled'` again
        on a row an editor's save is changing once that save commits, so an
        editor who re-drafted or re-dated the post meanwhile wins, and the new
        version makes every form opened before the release stale."""
        now = now or timezone.now()
        due_posts = self.due_for_publishing(now)
        post_ids = due_posts.edge_ids()
        published_count = due_posts.update(
            status=self.model.Status.PUBLISHED, last_modified=now, version=F("version") + 1
        )
        if published_count:
            self.expire_on_commit(post_ids)
        return published_count

    def touch(self):
        """A new last_modified for each of these posts (their author, category or
        tags changed what their fragments show): one UPDATE, no save() per row."""
        post_ids = self.edge_ids()
        touched_count = self.update(last_modified=timezone.now())
        self.expire_on_commit(post_ids)
        return touched_count

    # ------------------------------------------------------------ invalidation

    def edge_ids(self):
        """These posts' ids, for their purge at the edges; no query when no edge is configured."""
        return list(self.values_list("pk", flat=True)) if purges_enabled() else []

    def expire_on_commit(self, post_ids=(), *, retracted=False):
        """After the commit: the list version's bump and, at every edge, a purge
        of the pages showing these posts and of the lists they are on now (a
        new post appears there). A retraction is removed, never served stale."""
        expire_lists_on_commit()
        if post_ids:
            post_model = self.model
            purge_on_commit(lambda: post_model.objects.edge_keys(post_ids), hard=retracted)

    def edge_keys(self, post_ids):
        """The edge keys (apps/caching/edge.py) of these posts and of the lists
        each public one is on: one query."""
        lists_shown = (
            self.published()
            .filter(pk__in=post_ids)
            .annotate(tag_ids=ArrayAgg("tags__id", filter=Q(tags__isnull=False), distinct=True, default=[]))
            .values_list("slug", "category_id", "author_id", "published_at", "tag_ids")
        )
        keys = {post_key(post_id) for post_id in post_ids}
        for slug, category_id, author_id, published_at, tag_ids in lists_shown:
            # Its own address, where the edge may hold a 404 from before.
            keys.add(page_key(self.model(slug=slug).get_absolute_url()))
            published_on = timezone.localtime(published_at)
            list_names = ["home", "feed", "sitemap", f"category:{category_id}", f"author:{author_id}"]
            list_names += [f"archive:{published_on.year}", f"archive:{published_on:%Y-%m}"]
            list_names += [f"tag:{tag_id}" for tag_id in tag_ids]
            keys.update(list_key(list_name) for list_name in list_names)
        return keys

    # ------------------------------------------------------------ reads

    def _tags_prefetch(self):
        # Prefetch object: only the columns a teaser links with. The Tag model
        # through the relation, so models.py and this module import one way.
        tag_model = self.model.tags.field.related_model
        return Prefetch("tags", queryset=tag_model.objects.only("id", "name", "slug").order_by("name"))

    def for_teasers(self):
        """Exactly what inc/post/teaser.html touches: two queries for any page size."""
        return (
            self.select_related("author", "category")
            .defer(*HEAVY_COLUMNS, "author__bio", "category__description")
            .prefetch_related(self._tags_prefetch())
        )

    def for_detail(self):
        """One post page: author and category joined, tags prefetched."""
        return (
            self.select_related("author", "category")
            .defer("search_vector")
            .prefetch_related(self._tags_prefetch())
        )

    def for_feed(self):
        return self.select_related("author", "category").defer("body", "search_vector")

    def for_sitemap(self):
        return self.only("slug", "last_modified").order_by("id")

    def in_month(self, year, month):
        start = datetime.datetime(year, month, 1, tzinfo=timezone.get_current_timezone())
        end = start.replace(year=year + 1, month=1) if month == 12 else start.replace(month=month + 1)
        return self.filter(published_at__gte=start, published_at__lt=end)

    def in_year(self, year):
        start = datetime.datetime(year, 1, 1, tzinfo=timezone.get_current_timezone())
        return self.filter(published_at__gte=start, published_at__lt=start.replace(year=year + 1))

    def tagged(self, tag):
        """Posts carrying a tag, as a semi-join on the M2M table.

        `id IN (SELECT post_id ... WHERE tag_id = %s)` lets the planner walk the
        date index newest-first and probe the M2M table's post_id index
        per row, stopping after one page (measured at 30k posts and 80 tags:
        ~700 index rows, ~7 ms), or for a rare tag start from its rows in the
        tag_id index and sort a handful (0.1 ms); never a scan of posts
        (tests/blog/test_indexes.py).
        `filter(tags=tag)` would join and could duplicate rows.
        """
        through = self.model.tags.through
        return self.filter(id__in=through.objects.filter(tag_id=tag.pk).values("post_id"))

    def tagged_with_any(self, tag_ids):
        """Posts carrying any of the tags, as the same semi-join as tagged()."""
        through = self.model.tags.through
        return self.filter(id__in=through.objects.filter(tag_id__in=tag_ids).values("post_id"))

    def neighbours(self, post):
        """The older and newer published posts around `post`, in one UNION query.

        Each side is a row comparison, `(published_at, id) < (x, y)`, that the
        date index enters at the post and reads one row from, like
        a keyset page; the equivalent OR form is no index range and scans.
        """
        columns = (F("published_at"), F("id"))
        values = (Value(post.published_at, output_field=models.DateTimeField()), Value(post.id))
        previous_post = (
            self.filter(RowComparison(columns, "<", values))
            .only("title", "slug")
            .annotate(direction=Value("previous"))
            .order_by("-published_at", "-id")[:1]
        )
        next_post = (
            self.filter(RowComparison(columns, ">", values))
            .only("title", "slug")
            .annotate(direction=Value("next"))
            .order_by("published_at", "id")[:1]
        )
        by_direction = {row.direction: row for row in previous_post.union(next_post, all=True)}
        return Neighbours(by_direction.get("previous"), by_direction.get("next"))

    def related_to(self, post):
        """Posts sharing most tags with `post`, newest first among equals.

        Bounded, however big the tags: the candidates are the newest
        RELATED_PER_TAG posts of each of the post's tags (by id, the order
        posts are written), each read from the M2M table's (tag_id, post_id)
        index as one short range; counting shared tags among them is done
        here, then the few winners are loaded by primary key. A post that
        shares tags only with posts older than each tag's newest few hundred
        gets newer related posts instead: freshness over exhaustive overlap.
        """
        tag_ids = [tag.id for tag in post.tag_list]  # in-memory: the tags are already prefetched
        if not tag_ids:
            return []
        shared_tags_by_id = Counter(
            post_id for post_id in self.related_candidate_ids(tag_ids) if post_id != post.id
        )
        best_ids = sorted(shared_tags_by_id, key=lambda post_id: (shared_tags_by_id[post_id], post_id))
        best_ids = best_ids[-RELATED_CANDIDATES:]
        related = self.filter(id__in=best_ids).only("title", "slug", "published_at")
        return sorted(
            related,
            key=lambda related_post: (shared_tags_by_id[related_post.id], related_post.published_at),
            reverse=True,
        )[:RELATED_POSTS]

    def related_candidate_ids(self, tag_ids):
        """Post ids among the newest RELATED_PER_TAG of each tag, once per shared tag (one query)."""
        through = self.model.tags.through
        newest_of_each_tag = [
            through.objects.filter(tag_id=tag_id)
            .order_by("-post_id")
            .values_list("post_id", flat=True)[:RELATED_PER_TAG]
            for tag_id in tag_ids
        ]
        return newest_of_each_tag[0].union(*newest_of_each_tag[1:], all=True)

    def search(self, search_text, candidates=SEARCH_CANDIDATES):
        """Matches for a reader's text, ranked, with highlighted snippets (ts_headline).

        Ranks a bounded candidate set: the newest `candidates` matches, found
        through the GIN index (rare words) or by walking the published-list
        index newest first until enough rows match (common words), then
        ordered by rank. A common word ranks its newest few hundred matches,
        not all of them: freshness over relevance among older posts.
        RefusedSearch for text with no word to look for or too many words
        (apps.blog.search).
        """
        query = search_query(search_text)
        newest_matches = (
            self.filter(search_vector=query).order_by("-published_at", "-id").values("id")[:candidates]
        )
        return (
            self.filter(id__in=newest_matches)
            .annotate(
                rank=SearchRank(F("search_vector"), query),
                snippet=SearchHeadline(
                    "body_html",
                    query,
                    config=SEARCH_CONFIG,
                    # From the rendered body, whose tags ts_headline drops, so
                    # readers see no Markdown syntax.
                    start_sel=HIGHLIGHT_START,
                    stop_sel=HIGHLIGHT_STOP,
                    max_words=35,
                    min_words=15,
                    max_fragments=2,
                ),
            )
            .order_by("-rank", "-published_at", "-id")
        )


class ListPageQuerySet(FormerSlugsQuerySet):
    """Authors, categories and tags: each has a list page of its posts."""

    def with_published_posts(self):
        """Only those with a post the public may see, so that a name used by
        drafts alone (a tag named after an embargoed story) has no page and no
        sitemap entry. One EXISTS per row, answered by the first entry of a
        published-posts index (tests/blog/test_indexes.py)."""
        posts = self.model._meta.get_field("posts")
        published_posts = posts.related_model.objects.published()
        return self.filter(models.Exists(published_posts.filter(**{posts.field.name: models.OuterRef("pk")})))
