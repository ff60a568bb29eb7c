"""sitemap.xml: an index of two sections, published posts and the list pages.

The posts section never counts posts row by row: its paginator numbers the
50,000-URL files from PostgreSQL's estimate once the table is large (apps.core
counts), and the index never computes a "latest lastmod", which Django would
do by loading every item.
"""

from urllib.parse import urlsplit

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import CharField, Value
from django.urls import reverse
from django.utils.functional import cached_property

from apps.core.admin_paginators import ApproximateCountPaginator
from apps.core.site_url import absolute_url, site_domain, site_scheme

from .models import Author, Category, Post, Tag


class SiteUrlSitemap(Sitemap):
    """Locations on SITE_URL: Django's default domain is the request's Host."""

    def get_protocol(self, protocol=None):
        return site_scheme()

    def get_domain(self, site=None):
        return site_domain()


class PostSitemap(SiteUrlSitemap):
    changefreq = "weekly"

    def items(self):
        return Post.objects.published().for_sitemap()

    @property
    def paginator(self):
        return ApproximateCountPaginator(self._items(), self.limit)

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
