"""sitemap.xml sections: published posts, categories, tags, authors."""

from django.contrib.sitemaps import Sitemap

from .models import Author, Category, Post, Tag


class PostSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Post.objects.published().for_sitemap()

    def lastmod(self, post):
        return post.last_modified


class CategorySitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Category.objects.only("slug", "last_modified").order_by("id")

    def lastmod(self, category):
        return category.last_modified


class TagSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Tag.objects.only("slug", "last_modified").order_by("id")

    def lastmod(self, tag):
        return tag.last_modified


class AuthorSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Author.objects.only("slug", "last_modified").order_by("id")

    def lastmod(self, author):
        return author.last_modified


SITEMAPS = {"posts": PostSitemap, "categories": CategorySitemap, "tags": TagSitemap, "authors": AuthorSitemap}
