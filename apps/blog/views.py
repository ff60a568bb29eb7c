"""Readers' pages. Thin: pick the queryset, paginate, render.

No view evaluates a post list: the page objects and the related-posts and
neighbours lookups are lazy, so a cached fragment that never reads them costs
no query.
"""

import datetime

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.caching.http import http_cached, private_page
from apps.caching.objects import cached_object
from apps.core.pagination import KeysetPage, OffsetPage
from apps.core.site_url import absolute_url

from . import popularity
from .models import Author, Category, Post, Tag

SEARCH_MAX_LENGTH = 200
SEARCH_MAX_PAGES = 20
# The only query parameters that change a list page; any other never reaches
# the view, a template or a cache key (apps.caching.http).
LIST_PAGE_PARAMS = ("after", "before")
SEARCH_PAGE_PARAMS = ("q", "page")


def _keyset_page(request, queryset):
    return KeysetPage(queryset, request.GET, settings.BLOG_POSTS_PER_PAGE)


@http_cached(LIST_PAGE_PARAMS)
@require_GET
def home(request):
    posts = Post.objects.published().for_teasers()
    return TemplateResponse(request, "blog/home.html", {"page": _keyset_page(request, posts)})


@http_cached()
@require_GET
def post_detail(request, slug):
    post = cached_object(
        request, "post", slug, lambda: get_object_or_404(Post.objects.published().for_detail(), slug=slug)
    )
    popularity.remember_post(post)
    published_posts = Post.objects.published()
    context = {
        "post": post,
        "neighbours": SimpleLazyObject(lambda: published_posts.neighbours(post)),
        "related_posts": SimpleLazyObject(lambda: published_posts.related_to(post)),
    }
    return TemplateResponse(request, "blog/post_detail.html", context)


@csrf_exempt
@require_POST
def post_read(request, pk):
    """The post page's beacon: one increment in Redis per read, no SQL, never cached.

    No CSRF token: it changes nothing but a popularity score, and
    navigator.sendBeacon cannot send one."""
    popularity.count_post_view(pk)
    return HttpResponse(status=204)


@private_page
@require_GET
def post_preview(request, pk):
    """Any post as it will look, for those who may view posts in the admin;
    everyone else gets the public's 404."""
    if not request.user.has_perm("blog.view_post"):
        raise Http404("No such post.")
    post = get_object_or_404(Post.objects.for_detail(), pk=pk)
    context = {"post": post, "preview": True, "neighbours": None, "related_posts": []}
    response = TemplateResponse(request, "blog/post_detail.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@http_cached(LIST_PAGE_PARAMS)
@require_GET
def category_detail(request, slug):
    category = cached_object(request, "category", slug, lambda: get_object_or_404(Category, slug=slug))
    posts = Post.objects.published().filter(category=category).for_teasers()
    context = {"category": category, "page": _keyset_page(request, posts)}
    return TemplateResponse(request, "blog/category_detail.html", context)


@http_cached(LIST_PAGE_PARAMS)
@require_GET
def tag_detail(request, slug):
    tag = cached_object(
        request, "tag", slug, lambda: get_object_or_404(Tag.objects.only("id", "name", "slug"), slug=slug)
    )
    posts = Post.objects.published().tagged(tag).for_teasers()
    return TemplateResponse(
        request, "blog/tag_detail.html", {"tag": tag, "page": _keyset_page(request, posts)}
    )


@http_cached(LIST_PAGE_PARAMS)
@require_GET
def author_detail(request, slug):
    author = cached_object(request, "author", slug, lambda: get_object_or_404(Author, slug=slug))
    posts = Post.objects.published().filter(author=author).for_teasers()
    context = {"author": author, "page": _keyset_page(request, posts)}
    return TemplateResponse(request, "blog/author_detail.html", context)


def _archive_date(year, month=1):
    try:
        return datetime.date(year, month, 1)
    except ValueError:
        raise Http404("No such date.") from None


@http_cached(LIST_PAGE_PARAMS)
@require_GET
def archive_year(request, year):
    archive_date = _archive_date(year)
    posts = Post.objects.published().in_year(year).for_teasers()
    months = [
        month
        for month in (datetime.date(year, number, 1) for number in range(1, 13))
        if month <= timezone.localdate()
    ]
    context = {"archive_date": archive_date, "months": months, "page": _keyset_page(request, posts)}
    return TemplateResponse(request, "blog/archive_year.html", context)


@http_cached(LIST_PAGE_PARAMS)
@require_GET
def archive_month(request, year, month):
    archive_date = _archive_date(year, month)
    posts = Post.objects.published().in_month(year, month).for_teasers()
    context = {"archive_date": archive_date, "page": _keyset_page(request, posts)}
    return TemplateResponse(request, "blog/archive_month.html", context)


@http_cached(SEARCH_PAGE_PARAMS)
@require_GET
def search(request):
    # Cut very long input, and drop NUL, which PostgreSQL refuses in any string.
    search_text = request.GET.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
    page = None
    if search_text:
        results = Post.objects.published().for_teasers().search(search_text)
        page = OffsetPage(results, request.GET, settings.BLOG_POSTS_PER_PAGE, SEARCH_MAX_PAGES)
    response = TemplateResponse(request, "blog/search.html", {"search_text": search_text, "page": page})
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def robots_txt(request):
    sitemap_url = absolute_url(reverse("sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /search/",
        f"Sitemap: {sitemap_url}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
