"""Test data as factory_boy factories (no JSON fixtures). Posts are published by
default; pass status/published_at for drafts and scheduled posts."""

import datetime

import factory
from django.utils import timezone

from apps.blog.models import Author, Category, Post, Tag
from apps.blog.rendering import render_markdown


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Author {n}")
    slug = factory.Sequence(lambda n: f"author-{n}")
    bio = "Writes about the city."


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    description = "Stories filed under this desk."


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class PostFactory(factory.django.DjangoModelFactory):
    """A published post, dated a minute further in the past for each new one."""

    class Meta:
        model = Post
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Post number {n}")
    slug = factory.Sequence(lambda n: f"post-{n}")
    author = factory.SubFactory(AuthorFactory)
    category = factory.SubFactory(CategoryFactory)
    excerpt = "A short summary of the story."
    body = "A paragraph of **Markdown** about the harbour and the council vote."
    status = Post.Status.PUBLISHED
    published_at = factory.Sequence(lambda n: timezone.now() - datetime.timedelta(minutes=n + 1))

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)


def make_published_posts(count, *, author=None, category=None, tags=(), start=None, prefix="bulk"):
    """`count` published posts in a few bulk INSERTs, newest first one minute apart.

    For tests that need many rows: factories save one row at a time. The
    Markdown is rendered once and shared, as seed_demo does.
    """
    author = author or AuthorFactory()
    category = category or CategoryFactory()
    start = start or timezone.now() - datetime.timedelta(minutes=1)
    body = "Bulk-created story about the **harbour**."
    body_html = render_markdown(body)
    posts = Post.objects.bulk_create(
        [
            Post(
                title=f"{prefix.title()} post {number}",
                slug=f"{prefix}-post-{number}",
                author=author,
                category=category,
                excerpt="A short summary of the story.",
                body=body,
                body_html=body_html,
                status=Post.Status.PUBLISHED,
                published_at=start - datetime.timedelta(minutes=number),
            )
            for number in range(count)
        ],
        batch_size=1000,
    )
    if tags:
        through = Post.tags.through
        through.objects.bulk_create(
            [through(post_id=post.id, tag_id=tag.id) for post in posts for tag in tags], batch_size=5000
        )
    return posts
