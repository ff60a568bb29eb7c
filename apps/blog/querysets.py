"""Every query the readers' pages run, one method per list (django-oscar's
base_queryset idea): a page cannot forget its joins, and nobody filters on
status by hand."""

import datetime
from typing import NamedTuple

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import models
from django.db.models import Count, F, Prefetch
from django.utils import timezone

PUBLISHED = "published"
SCHEDULED = "scheduled"
SEARCH_CONFIG = "english"
# Columns a teaser never shows ("results are too large": defer the body).
HEAVY_COLUMNS = ("body", "body_html", "search_vector")
HIGHLIGHT_START = "\x02"
HIGHLIGHT_STOP = "\x03"
RELATED_POSTS = 4
# Candidates for related posts: some may be drafts or future-dated, which the
# second query drops, so ask for a few more ids than we show.
RELATED_CANDIDATES = RELATED_POSTS * 3


class Neighbours(NamedTuple):
    previous: object
    next: object


def _tags_prefetch():
    from .models import Tag

    # Prefetch object: only the columns a teaser links with.
    return Prefetch("tags", queryset=Tag.objects.only("id", "name", "slug").order_by("name"))


class PostQuerySet(models.QuerySet):
    def published(self):
        """What the public may see: published, and not dated in the future."""
        return self.filter(status=PUBLISHED, published_at__lte=timezone.now())

    def due_for_publishing(self, now):
        """Scheduled posts whose time has come (publish_due_posts hands them over)."""
        return self.filter(status=SCHEDULED, published_at__lte=now)

    def for_teasers(self):
        """Exactly what inc/post/teaser.html touches: two queries for any page size."""
        return (
            self.select_related("author", "category")
            .defer(*HEAVY_COLUMNS, "author__bio", "category__description")
            .prefetch_related(_tags_prefetch())
        )

    def for_detail(self):
        """One post page: author and category joined, tags prefetched."""
        return (
            self.select_related("author", "category")
            .defer("search_vector")
            .prefetch_related(_tags_prefetch())
        )

    def for_feed(self):
        return self.select_related("author", "category").defer("body", "search_vector")

    def for_sitemap(self):
        return self.only("slug", "last_modified").order_by("-published_at", "-id")

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
        published index newest-first and probe the M2M table's post_id index
        per row, stopping after one page (measured at 30k posts and 80 tags:
        ~700 index rows, ~7 ms), or for a rare tag start from its rows in the
        tag_id index and sort a handful (0.1 ms); never a scan of posts
        (tests/blog/test_indexes.py).
        `filter(tags=tag)` would join and could duplicate rows.
        """
        through = self.model.tags.through
        return self.filter(id__in=through.objects.filter(tag_id=tag.pk).values("post_id"))

    def neighbours(self, post):
        """The older and newer published posts around `post`, in one UNION query."""
        previous_post = (
            self.filter(
                models.Q(published_at__lt=post.published_at)
                | models.Q(published_at=post.published_at, id__lt=post.id)
            )
            .only("title", "slug")
            .annotate(direction=models.Value("previous"))
            .order_by("-published_at", "-id")[:1]
        )
        next_post = (
            self.filter(
                models.Q(published_at__gt=post.published_at)
                | models.Q(published_at=post.published_at, id__gt=post.id)
            )
            .only("title", "slug")
            .annotate(direction=models.Value("next"))
            .order_by("published_at", "id")[:1]
        )
        by_direction = {row.direction: row for row in previous_post.union(next_post, all=True)}
        return Neighbours(by_direction.get("previous"), by_direction.get("next"))

    def related_to(self, post):
        """Posts sharing most tags with `post`, newest first among equals.

        Expensive table joins: two queries, ids first from the M2M table alone,
        then the few rows by primary key. EXPLAIN ANALYZE over 30k posts (80
        tags, 3 per post; median of 15): ids 0.6-1.8 ms + rows 0.02 ms, against
        11-20 ms for the single join-and-group query, whose plan hashes a
        sequential scan of every published post. The two-query form won.
        """
        tag_ids = [tag.id for tag in post.tag_list]  # in-memory: the tags are already prefetched
        if not tag_ids:
            return []
        through = self.model.tags.through
        shared_tags_by_id = dict(
            through.objects.filter(tag_id__in=tag_ids)
            .exclude(post_id=post.id)
            .values("post_id")
            .annotate(shared=Count("tag_id"))
            .order_by("-shared", "-post_id")
            .values_list("post_id", "shared")[:RELATED_CANDIDATES]
        )
        related = self.filter(id__in=shared_tags_by_id).only("title", "slug", "published_at")
        return sorted(
            related,
            key=lambda related_post: (shared_tags_by_id[related_post.id], related_post.published_at),
            reverse=True,
        )[:RELATED_POSTS]

    def search(self, text):
        """Ranked full-text matches with highlighted snippets (ts_headline)."""
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        return (
            self.filter(search_vector=query)
            .annotate(
                rank=SearchRank(F("search_vector"), query),
                snippet=SearchHeadline(
                    "body_html",
                    query,
                    config=SEARCH_CONFIG,
                    # From the rendered body, whose tags ts_headline drops, so
                    # readers see no Markdown syntax. Sentinels, not tags: the
                    # snippet is escaped first and marked up after (|highlight).
                    start_sel=HIGHLIGHT_START,
                    stop_sel=HIGHLIGHT_STOP,
                    max_words=35,
                    min_words=15,
                    max_fragments=2,
                ),
            )
            .order_by("-rank", "-published_at", "-id")
        )


class ListPageQuerySet(models.QuerySet):
    """Authors, categories and tags: each has a list page of its posts."""

    def with_published_posts(self):
        """Only those with a post the public may see, so that a name used by
        drafts alone (a tag named after an embargoed story) has no page and no
        sitemap entry. One EXISTS per row, answered by the first entry of a
        published-posts index (tests/blog/test_indexes.py)."""
        posts = self.model._meta.get_field("posts")
        published_posts = posts.related_model.objects.published()
        return self.filter(models.Exists(published_posts.filter(**{posts.field.name: models.OuterRef("pk")})))
