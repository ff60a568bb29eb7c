"""Drafts and scheduled posts are invisible to the public everywhere; unknown
slugs are 404; staff preview drafts behind a URL the public gets a 404 from."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.blog.models import Post


@pytest.fixture
def hidden_posts(post_factory, tag_factory):
    """A public post and, in the same category, tag and author, a draft, a
    scheduled post and a published post dated in the future; all say 'zeppelin'."""
    tag = tag_factory()
    public = post_factory(title="Public zeppelin story", tags=[tag])
    same_place = {"author": public.author, "category": public.category, "tags": [tag], "body": "zeppelin"}
    return {
        "public": public,
        "tag": tag,
        "hidden": [
            post_factory(
                title="Draft zeppelin story", status=Post.Status.DRAFT, published_at=None, **same_place
            ),
            post_factory(
                title="Scheduled zeppelin story",
                status=Post.Status.SCHEDULED,
                published_at=timezone.now() + datetime.timedelta(days=2),
                **same_place,
            ),
            post_factory(
                title="Future zeppelin story",
                published_at=timezone.now() + datetime.timedelta(hours=3),
                **same_place,
            ),
        ],
    }


def _public_urls(posts):
    public = posts["public"]
    now = timezone.now()
    return [
        reverse("blog:home"),
        public.category.get_absolute_url(),
        posts["tag"].get_absolute_url(),
        public.author.get_absolute_url(),
        reverse("blog:archive_year", args=[now.year]),
        reverse("blog:archive_month", args=[now.year, now.month]),
        reverse("blog:search") + "?q=zeppelin",
        reverse("blog:feed_rss"),
        reverse("blog:feed_atom"),
        reverse("sitemap_section", args=["posts"]),
        public.get_absolute_url(),
    ]


def test_hidden_posts_appear_on_no_public_page(client, hidden_posts):
    for url in _public_urls(hidden_posts):
        response = client.get(url)
        assert response.status_code == 200, url
        for hidden_post in hidden_posts["hidden"]:
            assert hidden_post.title.encode() not in response.content, url
            assert hidden_post.slug.encode() not in response.content, url
    assert hidden_posts["public"].title.encode() in client.get(reverse("blog:home")).content


def test_hidden_post_detail_is_404_for_the_public(client, hidden_posts):
    for hidden_post in hidden_posts["hidden"]:
        assert client.get(hidden_post.get_absolute_url()).status_code == 404


def test_hidden_post_detail_is_404_for_staff_too(client, hidden_posts, admin_user):
    """The public URL shows public posts only; staff use the preview URL."""
    client.force_login(admin_user)
    assert client.get(hidden_posts["hidden"][0].get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/posts/no-such-post/", "/category/no-such-category/", "/tag/no-such-tag/", "/author/no-such-author/"],
)
def test_unknown_slug_is_404(client, db, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/archive/2024/13/", "/archive/2024/00/", "/archive/0000/", "/archive/24/"])
def test_impossible_archive_date_is_404(client, db, url):
    assert client.get(url).status_code == 404


def test_preview_is_404_for_anonymous_readers(client, hidden_posts):
    draft = hidden_posts["hidden"][0]
    response = client.get(reverse("blog:preview", args=[draft.pk]))
    assert response.status_code == 404


def test_preview_is_404_for_logged_in_non_staff(client, hidden_posts, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader", password="x"))
    assert client.get(reverse("blog:preview", args=[hidden_posts["hidden"][0].pk])).status_code == 404


def test_staff_preview_shows_a_draft_with_a_visible_banner(client, hidden_posts, admin_user):
    client.force_login(admin_user)
    draft = hidden_posts["hidden"][0]
    response = client.get(reverse("blog:preview", args=[draft.pk]))
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    content = response.content.decode()
    assert 'class="draft-banner"' in content
    assert "Preview: Draft." in content
    assert "Readers cannot see this post." in content
    assert draft.title in content


def test_staff_preview_of_an_unknown_post_is_404(client, admin_user, db):
    client.force_login(admin_user)
    assert client.get(reverse("blog:preview", args=[999999])).status_code == 404
