"""RSS and Atom feeds of the latest published posts (one query each)."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from apps.core.site_url import absolute_url

from .models import Post

FEED_POSTS = 20


class LatestPostsFeed(Feed):
    title = settings.SITE_NAME
    description = settings.SITE_TAGLINE
    feed_url_name = "blog:feed_rss"

    # Absolute links on SITE_URL: Django's Feed would prefix the request's Host.
    def link(self):
        return absolute_url(reverse("blog:home"))

    def feed_url(self):
        return absolute_url(reverse(self.feed_url_name))

    def item_link(self, post):
        return absolute_url(post.get_absolute_url())

    def items(self):
        return Post.objects.published().for_feed()[:FEED_POSTS]

    def item_title(self, post):
        return post.title

    def item_description(self, post):
        # Feed readers take the description as HTML; the site shows the
        # excerpt as text (autoescaped), so the feed escapes it too.
        return escape(post.excerpt)

    def item_author_name(self, post):
        return post.author.name

    def item_categories(self, post):
        return [post.category.name]

    def item_pubdate(self, post):
        return post.published_at

    def item_updateddate(self, post):
        return post.last_modified


class LatestPostsAtomFeed(LatestPostsFeed):
    feed_type = Atom1Feed
    feed_url_name = "blog:feed_atom"
    subtitle = LatestPostsFeed.description
