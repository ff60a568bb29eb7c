"""The same list page two ways, rendered by one template, for the database benchmark.

Only the benchmark's URLconf routes here: the naive list is the chapter's
cautionary example and has no place on the real site.
"""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from apps.blog.models import Post
from apps.core.pagination import KeysetPage

POSTS_PER_PAGE = 20


@never_cache
def naive_list(request):
    """The chapter's starting point: every teaser fetches its author, category and
    tags (N+1), Django's Paginator counts every published row and skips with OFFSET."""
    paginator = Paginator(Post.objects.published(), POSTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "bench/post_list.html", {"posts": page.object_list, "page": page, "naive": True})


@never_cache
def optimized_list(request):
    """What the home page runs: the teaser queryset (joins, one prefetch, deferred
    body) and keyset pagination (no COUNT, no OFFSET)."""
    page = KeysetPage(Post.objects.published().for_teasers(), request.GET, POSTS_PER_PAGE)
    return render(request, "bench/post_list.html", {"posts": page, "page": page, "naive": False})


def hello(request):
    """The floor of the caching benchmark: Django's full middleware stack, no template, no cache."""
    return HttpResponse("hello", content_type="text/plain")
