"""The edge keys a change purges (PostQuerySet.edge_keys): the post's own key,
which every page showing it carries, and each list a public post is on now."""

import datetime

from django.utils import timezone

from apps.blog.models import Post
from apps.caching.edge import page_key


def test_a_public_post_names_itself_and_every_list_it_is_on(
    post_factory, tag_factory, django_assert_num_queries
):
    red, blue = tag_factory(), tag_factory()
    published_at = timezone.make_aware(datetime.datetime(2025, 3, 14, 9, 30))
    post = post_factory(tags=[red, blue], published_at=published_at)

    with django_assert_num_queries(1):
        keys = Post.objects.edge_keys([post.pk])

    assert keys == {
        f"post-{post.pk}",
        page_key(post.get_absolute_url()),
        "home",
        "feed",
        "sitemap",
        f"category-{post.category_id}",
        f"author-{post.author_id}",
        f"tag-{red.pk}",
        f"tag-{blue.pk}",
        "archive-2025",
        "archive-2025-03",
    }


def test_a_post_no_longer_public_names_only_itself(post_factory):
    """Every page that showed it carries its key; no list gains it."""
    draft = post_factory(status=Post.Status.DRAFT)

    assert Post.objects.edge_keys([draft.pk, 123456]) == {f"post-{draft.pk}", "post-123456"}


def test_without_an_edge_no_query_looks_up_ids(post_factory, django_assert_num_queries, settings):
    settings.EDGE_PURGE_URLS = []
    post_factory()

    with django_assert_num_queries(0):
        assert Post.objects.all().edge_ids() == []
