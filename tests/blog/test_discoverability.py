"""Nothing unpublished is discoverable: a tag, category or author whose posts
are all drafts, scheduled or dated later has no page and no sitemap entry
(a tag named after an embargoed story must not be public when created)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.blog.models import Author, Category, Post, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def embargoed(post_factory, tag_factory, author_factory, category_factory):
    """A tag, category and author that only hidden posts use, plus an empty set."""
    tag, category, author = tag_factory(name="Merger talks"), category_factory(), author_factory()
    hidden = {"author": author, "category": category, "tags": [tag]}
    post_factory(status=Post.Status.DRAFT, published_at=None, **hidden)
    post_factory(
        status=Post.Status.SCHEDULED, published_at=timezone.now() + datetime.timedelta(days=1), **hidden
    )
    post_factory(published_at=timezone.now() + datetime.timedelta(hours=2), **hidden)
    return {
        "with_hidden_posts": [tag, category, author],
        "empty": [tag_factory(), category_factory(), author_factory()],
    }


def hidden_names(embargoed):
    return [*embargoed["with_hidden_posts"], *embargoed["empty"]]


def test_list_pages_without_a_published_post_are_404(client, embargoed):
    for name in hidden_names(embargoed):
        assert client.get(name.get_absolute_url()).status_code == 404, name.get_absolute_url()


def test_list_pages_answer_once_a_post_is_published(client, embargoed, django_capture_on_commit_callbacks):
    tag, category, author = embargoed["with_hidden_posts"]
    draft = Post.objects.get(author=author, status=Post.Status.DRAFT)

    with django_capture_on_commit_callbacks(execute=True):
        draft.status = Post.Status.PUBLISHED
        draft.published_at = timezone.now() - datetime.timedelta(minutes=1)
        draft.save()

    for name in (tag, category, author):
        assert client.get(name.get_absolute_url()).status_code == 200, name.get_absolute_url()


def test_sitemap_leaves_out_names_without_a_published_post(client, embargoed, post_factory, tag_factory):
    public = post_factory(tags=[tag_factory()])

    pages = client.get(reverse("sitemap_section", args=["pages"])).content.decode()

    for name in hidden_names(embargoed):
        assert name.get_absolute_url() not in pages
    for name in (public.tag_list[0], public.category, public.author):
        assert f"http://testserver{name.get_absolute_url()}" in pages


def test_with_published_posts_is_one_query_per_model(embargoed, post_factory, django_assert_num_queries):
    public = post_factory()
    with django_assert_num_queries(3):
        assert list(Category.objects.with_published_posts()) == [public.category]
        assert list(Author.objects.with_published_posts()) == [public.author]
        assert list(Tag.objects.with_published_posts()) == []
