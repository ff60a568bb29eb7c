"""Readers' pages. Thin: pick the queryset, paginate, render.

No view evaluates a post list: the page objects and the related-posts and
neighbours lookups are lazy, so a cached fragment that never reads them costs
no query.
"""

import datetime

from django.conf import settings
from django.db import OperationalError, connections, router, transaction
from django.http import Http404, HttpResponse, HttpResponseForbidden, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from psycopg2.errors import QueryCanceled

from apps.caching.edge import add_edge_keys, list_key, post_key
from apps.caching.pipeline import cached_row, private_page, public_page
from apps.core.pagination import KeysetPage, OffsetPage, canonical_cursor, canonical_page_number
from apps.core.site_url import absolute_url
from apps.security.clients import client_address, is_same_origin
from apps.security.ratelimit import rate_limited

from . import popularity
from .models import Author, Category, Post, Tag
from .search import (
    SEARCH_MAX_PAGES,
    SEARCH_RATE_LIMIT,
    SEARCH_RATE_WINDOW_SECONDS,
    SEARCH_STATEMENT_TIMEOUT_MS,
    RefusedSearch,
    canonical_search_text,
    clean_search_text,
)

# The only query parameters that change a page, with their one spelling: any
# other parameter or spelling is redirected to the canonical URL (apps/caching/pipeline.py).
LIST_PAGE_PARAMS = {"after": canonical_cursor, "before": canonical_cursor}
SEARCH_PAGE_PARAMS = {"q": canonical_search_text, "page": canonical_page_number}
list_page = public_page(LIST_PAGE_PARAMS)


def post_list(request, template_name, posts, list_name, allow_empty=True, **context):
    """Every list page: one keyset page of `posts` (lazy: a cached list never
    runs its query), in a template extending blog/post_list.html, whose outer
    fragment varies on `list_name`; each teaser names its post to the edge.
    With allow_empty=False an empty list is a 404, found by the page's own
    query, so it is never stored."""
    page = KeysetPage(posts, request.GET, settings.BLOG_POSTS_PER_PAGE, allow_empty_first_page=allow_empty)
    add_edge_keys(request, list_key(list_name))
    return TemplateResponse(request, template_name, {"page": page, "list_key": list_name, **context})


@list_page
@require_safe
def home(request):
    return post_list(request, "blog/home.html", Post.objects.published().for_teasers(), "home")


@public_page()
@require_safe
def post_detail(request, slug):
    try:
        post = cached_row(
            request, "post", slug, lambda: get_object_or_404(Post.objects.published().for_detail(), slug=slug)
        )
    except Http404:
        return redirect_renamed(request, Post.objects.published(), slug)
    popularity.remember_post(post)
    add_edge_keys(request, post_key(post.pk))
    published_posts = Post.objects.published()
    context = {
        "post": post,
        "neighbours": SimpleLazyObject(lambda: published_posts.neighbours(post)),
        "related_posts": SimpleLazyObject(lambda: published_posts.related_to(post)),
    }
    return TemplateResponse(request, "blog/post_detail.html", context)


@never_cache
@csrf_exempt
@require_POST
def post_read(request, pk):
    """The post page's beacon: one increment in Redis per read, no SQL, never cached.

    No CSRF token: it changes nothing but a popularity score, and
    navigator.sendBeacon cannot send one. Instead the browser must say the
    beacon comes from our own page, and each reader counts once per post per
    window, within a rate limit (apps.blog.popularity)."""
    if not is_same_origin(request):
        return HttpResponseForbidden()
    outcome = popularity.count_post_view(pk, client_address(request))
    if outcome is popularity.BeaconOutcome.RATE_LIMITED:
        return HttpResponse(status=429, headers={"Retry-After": str(popularity.RATE_WINDOW_SECONDS)})
    return HttpResponse(status=204)


@private_page
@require_safe
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


def redirect_renamed(request, visible_rows, slug):
    """Old URLs keep working: an unknown slug that one of `visible_rows` had
    before a rename answers 301 to the row's current address (with the page's
    canonical query), anything else 404. Asked only once the current slugs
    missed, so the normal path pays no query for it. Never an open redirect:
    the target is reversed from our own URLs with the row's slug.

    Neither answer is stored as a whole response (the page cache keeps only
    200s), so made-up slugs cannot fill the cache; browsers and CDNs may keep
    the 301 for the public max-age, after which they ask again."""
    renamed = visible_rows.formerly_at(slug).only("slug").first()
    if renamed is None:
        raise Http404("No such page.")
    query = request.META.get("QUERY_STRING", "")
    address = renamed.get_absolute_url()
    return HttpResponsePermanentRedirect(f"{address}?{query}" if query else address)


def list_owner(request, row_name, visible_rows, slug):
    """The section, tag or author a list page belongs to, cached per list
    version, and None; or None and the 301 from a slug it had before a
    rename (any other slug is a 404)."""
    try:
        owner = cached_row(request, row_name, slug, lambda: get_object_or_404(visible_rows, slug=slug))
    except Http404:
        return None, redirect_renamed(request, visible_rows, slug)
    return owner, None


@list_page
@require_safe
def category_detail(request, slug):
    category, moved = list_owner(request, "category", Category.objects.with_published_posts(), slug)
    if moved:
        return moved
    posts = Post.objects.published().filter(category=category).for_teasers()
    return post_list(
        request, "blog/category_detail.html", posts, f"category:{category.pk}", category=category
    )


@list_page
@require_safe
def tag_detail(request, slug):
    tags = Tag.objects.with_published_posts().only("id", "name", "slug")
    tag, moved = list_owner(request, "tag", tags, slug)
    if moved:
        return moved
    posts = Post.objects.published().tagged(tag).for_teasers()
    return post_list(request, "blog/tag_detail.html", posts, f"tag:{tag.pk}", tag=tag)


@list_page
@require_safe
def author_detail(request, slug):
    author, moved = list_owner(request, "author", Author.objects.with_published_posts(), slug)
    if moved:
        return moved
    posts = Post.objects.published().filter(author=author).for_teasers()
    return post_list(request, "blog/author_detail.html", posts, f"author:{author.pk}", author=author)


def _archive_date(year, month=1):
    try:
        return datetime.date(year, month, 1)
    except ValueError:
        raise Http404("No such date.") from None


@list_page
@require_safe
def archive_year(request, year):
    archive_date = _archive_date(year)
    posts = Post.objects.published().in_year(year).for_teasers()
    months = [
        month
        for month in (datetime.date(year, number, 1) for number in range(1, 13))
        if month <= timezone.localdate()
    ]
    # Only years and months with a published post are pages: /archive/0001/ is
    # a 404, not a new stored page for every year a stranger tries.
    return post_list(
        request,
        "blog/archive_year.html",
        posts,
        f"archive:{year}",
        allow_empty=False,
        archive_date=archive_date,
        months=months,
    )


@list_page
@require_safe
def archive_month(request, year, month):
    archive_date = _archive_date(year, month)
    posts = Post.objects.published().in_month(year, month).for_teasers()
    return post_list(
        request,
        "blog/archive_month.html",
        posts,
        f"archive:{year}-{month:02d}",
        allow_empty=False,
        archive_date=archive_date,
    )


@rate_limited("search", SEARCH_RATE_LIMIT, SEARCH_RATE_WINDOW_SECONDS)
@public_page(SEARCH_PAGE_PARAMS)
@require_safe
def search(request):
    """Ranked search under a statement timeout; refused text gets its reason, not a query."""
    search_text = clean_search_text(request.GET.get("q", ""))
    context = {"search_text": search_text, "page": None, "search_problem": None}
    if not search_text:
        return _search_response(request, context)
    try:
        results = Post.objects.published().for_teasers().search(search_text)
    except RefusedSearch as refusal:
        return _search_response(request, {**context, "search_problem": str(refusal)}, status=400)
    context["page"] = OffsetPage(results, request.GET, settings.BLOG_POSTS_PER_PAGE, SEARCH_MAX_PAGES)
    try:
        # The page's queries run while it renders: render here, under the timeout.
        # On the database this request reads from: the router picks one replica
        # per request, so the queries below run where the timeout was set.
        database = router.db_for_read(Post)
        with transaction.atomic(using=database):
            with connections[database].cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = %s", [SEARCH_STATEMENT_TIMEOUT_MS])
            return _search_response(request, context).render()
    except OperationalError as error:
        if not isinstance(error.__cause__, QueryCanceled):
            raise
    problem = "This search took too long. Try a narrower search: more words, or a “quoted phrase”."
    return _search_response(request, {**context, "page": None, "search_problem": problem}, status=503)


def _search_response(request, context, status=200):
    response = TemplateResponse(request, "blog/search.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
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
