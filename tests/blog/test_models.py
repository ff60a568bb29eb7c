"""Model rules: rendering on save, the published_at guarantee, visibility, search vector."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from apps.blog.models import Post
from apps.blog.rendering import render_markdown


def test_render_markdown_strips_scripts_and_javascript_links():
    html = render_markdown(
        "**bold** <script>alert(1)</script> [x](javascript:alert(1)) [y](https://example.com)"
    )
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert 'href="https://example.com"' in html


def test_saving_a_post_stores_its_sanitized_html(post_factory):
    post = post_factory(body="Hello *world* <img src=x onerror=alert(1)>")
    post.refresh_from_db()
    assert post.body_html == '<p>Hello <em>world</em> <img src="x"></p>'


def test_saving_only_the_body_still_refreshes_body_html(post_factory):
    post = post_factory()
    post.body = "Now _changed_"
    post.save(update_fields=["body"])
    post.refresh_from_db()
    assert post.body_html == "<p>Now <em>changed</em></p>"


def test_a_published_post_without_a_date_is_refused_by_the_database(post_factory):
    with pytest.raises(IntegrityError, match="published_post_has_published_at"):
        post_factory(published_at=None)


def test_published_hides_drafts_scheduled_and_future_dated_posts(post_factory):
    visible = post_factory()
    post_factory(status=Post.Status.DRAFT)
    post_factory(status=Post.Status.SCHEDULED, published_at=timezone.now() + datetime.timedelta(days=1))
    post_factory(published_at=timezone.now() + datetime.timedelta(hours=1))
    assert list(Post.objects.published()) == [visible]


def test_search_vector_is_kept_current_by_the_database(post_factory):
    post = post_factory(title="Harbour", body="The ferries return.")
    assert list(Post.objects.published().search("ferry")) == [post]
    post.body = "The trams return."
    post.save()
    assert list(Post.objects.published().search("ferry")) == []


def test_make_published_posts_creates_tagged_posts_newest_first(published_posts, tag_factory):
    tag = tag_factory()
    posts = published_posts(3, tags=[tag])
    assert list(Post.objects.published().values_list("id", flat=True)) == [post.id for post in posts]
    assert Post.tags.through.objects.filter(tag=tag).count() == 3


def test_saving_a_published_post_dated_in_the_future_schedules_it(post_factory):
    """It then goes live through publish_due_posts, which refreshes the cached lists."""
    in_two_hours = timezone.now() + datetime.timedelta(hours=2)
    post = post_factory(status=Post.Status.PUBLISHED, published_at=in_two_hours)
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert not Post.objects.published().filter(pk=post.pk).exists()


def test_a_scheduled_post_needs_a_date(post_factory):
    post = post_factory.build(status=Post.Status.SCHEDULED, published_at=None)
    with pytest.raises(ValidationError) as error:
        post.clean()
    assert "published_at" in error.value.message_dict
