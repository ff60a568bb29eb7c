"""sitemap.xml: an index of two sections, published posts and the list pages.

The posts section never counts posts and never uses OFFSET: its files are
ranges of post ids (PostIdRangePaginator), so any file costs one range scan of
the primary key at any depth, and the index never computes a "latest
lastmod", which Django would do by loading every item.
"""

import math
from urllib.parse import urlsplit

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.paginator import Paginator
from django.db.models import CharField, Max, Min, Value
from django.urls import reverse
from django.utils.functional import cached_property

from apps.core.site_url import absolute_url, site_domain, site_scheme

from .models import Author, Category, Post, Tag


class SiteUrlSitemap(Sitemap):
    """Locations on SITE_URL: Django's default domain is the request's Host."""

    def get_protocol(self, protocol=None):
        return site_scheme()

    def get_domain(self, site=None):
        return site_domain()


class PostIdRangePaginator(Paginator):
    """Page n holds the published posts with ids in [lowest + (n - 1) * per_page,
    lowest + n * per_page), lowest being the lowest published id.

    A page may hold fewer than per_page posts (drafts and deleted posts leave
    gaps) but never more; the number of pages comes from one query of two
    index lookups (the lowest and highest published ids), so a page past it
    is a 404 and the set of pages is bounded by the table, whatever numbers a
    stranger tries. Old posts keep their page, so a new post changes only the
    last one.
    """

    @cached_property
    def id_range(self):
        ids = self.object_list.order_by().aggregate(lowest=Min("id"), highest=Max("id"))
        return ids["lowest"] or 0, ids["highest"] or 0

    @cached_property
    def num_pages(self):
        lowest, highest = self.id_range
        return max(1, math.ceil((highest - lowest + 1) / self.per_page))

    def page(self, number):
        number = self.validate_number(number)
        start = self.id_range[0] + (number - 1) * self.per_page
        rows = self.object_list.filter(id__gte=start, id__lt=start + self.per_page).order_by("id")
        return self._get_page(rows, number, self)


class PostSitemap(SiteUrlSitemap):
    changefreq = "weekly"
    # Search engines accept 50,000 URLs a file; 10,000 keeps a stored page
    # near 1.6 MB, which every hit reads back from the cache.
    limit = 10_000

    def items(self):
        return Post.objects.published().for_sitemap()

    @property
    def paginator(self):
        return PostIdRangePaginator(self._items(), self.limit)

    def get_latest_lastmod(self):
        return None

    def lastmod(self, post):
        return post.last_modified


class ListPageSitemap(SiteUrlSitemap):
    """Every category, tag and author page that has a published post, in one UNION query."""

    changefreq = "daily"

    @cached_property
    def list_pages(self):
        """Loaded once per request: the index reads them twice (page count and latest lastmod)."""
        columns = ("slug", "last_modified", "url_name")
        by_kind = [
            model.objects.with_published_posts()
            .order_by()
            .annotate(url_name=Value(url_name, CharField()))
            .values(*columns)
            for model, url_name in ((Category, "blog:category"), (Tag, "blog:tag"), (Author, "blog:author"))
        ]
        return list(by_kind[0].union(*by_kind[1:], all=True).order_by("url_name", "slug"))

    def items(self):
        return self.list_pages

    def location(self, page):
        return reverse(page["url_name"], kwargs={"slug": page["slug"]})

    def lastmod(self, page):
        return page["last_modified"]


SITEMAPS = {"posts": PostSitemap, "pages": ListPageSitemap}


def sitemap_index(request, **kwargs):
    """Django's sitemap index with each section's location moved onto SITE_URL
    (Django builds them from the request's Host)."""
    response = sitemap_views.index(request, **kwargs)
    for section in response.context_data["sitemaps"]:
        location = urlsplit(section.location)
        section.location = absolute_url(location.path + (f"?{location.query}" if location.query else ""))
    return response
