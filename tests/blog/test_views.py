"""Readers' pages: what each shows, the head every page carries, and bad cursors."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.blog.models import Post


@pytest.fixture
def story(post_factory, tag_factory):
    tags = [tag_factory(name="Transport"), tag_factory(name="Council")]
    now = timezone.now()
    return {
        "older": post_factory(title="Older story", tags=tags[:1], published_at=now - timedelta(days=2)),
        "story": post_factory(
            title="The vote on the tram",
            excerpt="Councillors decide.",
            tags=tags,
            published_at=now - timedelta(days=1),
        ),
        "newer": post_factory(title="Newer story", tags=tags[1:], published_at=now - timedelta(hours=1)),
        "draft": post_factory(title="Unpublished", status=Post.Status.DRAFT, tags=tags),
        "tags": tags,
    }


def test_every_page_announces_feeds_canonical_and_opengraph(client, story):
    post = story["story"]
    urls = [
        reverse("blog:home"),
        post.get_absolute_url(),
        post.category.get_absolute_url(),
        story["tags"][0].get_absolute_url(),
        post.author.get_absolute_url(),
        reverse("blog:archive_year", args=[post.published_at.year]),
        reverse("blog:archive_month", args=[post.published_at.year, post.published_at.month]),
        reverse("blog:search") + "?q=tram",
    ]
    for url in urls:
        content = client.get(url).content.decode()
        assert '<link rel="alternate" type="application/atom+xml"' in content, url
        assert '<link rel="alternate" type="application/rss+xml"' in content, url
        assert re.search(r'<link rel="canonical" href="http://testserver/[^"]*">', content), url
        assert '<meta property="og:title"' in content, url
        assert '<meta property="og:url" content="http://testserver/' in content, url


def test_post_page_shows_body_neighbours_related_and_article_tags(client, story):
    content = client.get(story["story"].get_absolute_url()).content.decode()
    assert '<link rel="canonical" href="http://testserver/posts/' + story["story"].slug + '/">' in content
    assert '<meta property="og:type" content="article">' in content
    assert '<meta property="article:tag" content="Council">' in content
    assert "<strong>Markdown</strong>" in content
    assert re.search(r'rel="prev" href="/posts/' + story["older"].slug, content)
    assert re.search(r'rel="next" href="/posts/' + story["newer"].slug, content)
    related = content[content.index("Related stories") :]
    assert story["older"].title in related
    assert story["newer"].title in related
    assert story["draft"].title not in content


def test_related_posts_prefer_more_shared_tags(post_factory, tag_factory):
    first, second, third = tag_factory(), tag_factory(), tag_factory()
    post = post_factory(tags=[first, second, third])
    one_shared = post_factory(tags=[first])
    three_shared = post_factory(tags=[first, second, third])
    two_shared = post_factory(tags=[second, third])
    post_factory(tags=[])
    post = Post.objects.published().for_detail().get(pk=post.pk)
    related = Post.objects.published().related_to(post)
    assert related == [three_shared, two_shared, one_shared]


def test_related_posts_reuse_the_prefetched_tags(post_factory, tag_factory, django_assert_num_queries):
    """In-memory filtering: tag ids come from the prefetch, not another query."""
    tag = tag_factory()
    post_factory(tags=[tag])
    post = Post.objects.published().for_detail().get(pk=post_factory(tags=[tag]).pk)
    with django_assert_num_queries(2):
        Post.objects.published().related_to(post)
        assert post.tag_list is post.tag_list


def test_list_page_links_older_and_newer_with_rel(client, settings, published_posts):
    settings.BLOG_POSTS_PER_PAGE = 4
    published_posts(10)
    first = client.get(reverse("blog:home")).content.decode()
    assert 'rel="prev"' not in first
    next_href = re.search(r'rel="next" href="([^"]+)"', first).group(1)
    second = client.get(reverse("blog:home") + next_href.replace("&amp;", "&"))
    assert second.status_code == 200
    content = second.content.decode()
    assert 'rel="prev" href="?before=' in content
    assert 'rel="next" href="?after=' in content
    assert f'<link rel="canonical" href="http://testserver/{next_href}">' in content


@pytest.mark.parametrize(
    "query", ["after=abc", "after=0.0", "before=-1.5", "after=1.2&before=1.2", "after=" + "9" * 40]
)
def test_bad_cursor_on_a_list_page_is_404(client, post_factory, query):
    post = post_factory()
    for url in [reverse("blog:home"), post.category.get_absolute_url(), post.author.get_absolute_url()]:
        assert client.get(f"{url}?{query}").status_code == 404


def test_teaser_shows_title_category_author_and_tags(client, story):
    content = client.get(reverse("blog:home")).content.decode()
    assert story["story"].title in content
    assert story["story"].category.get_absolute_url() in content
    assert story["story"].author.name in content
    assert '<a href="/tag/' + story["tags"][1].slug + '/">Council</a>' in content


def test_archive_year_links_its_months(client, story):
    year = story["story"].published_at.year
    content = client.get(reverse("blog:archive_year", args=[year])).content.decode()
    assert f'href="/archive/{year}/01/"' in content


def test_robots_txt_names_the_sitemap_and_hides_preview(client, db):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()
    assert "Disallow: /preview/" in response.content.decode()


def test_sitemap_index_lists_both_sections(client, story):
    content = client.get("/sitemap.xml").content.decode()
    assert "http://testserver/sitemap-posts.xml" in content
    assert "http://testserver/sitemap-pages.xml" in content
    posts = client.get("/sitemap-posts.xml").content.decode()
    assert f"http://testserver{story['story'].get_absolute_url()}" in posts
    pages = client.get("/sitemap-pages.xml").content.decode()
    assert f"http://testserver{story['tags'][0].get_absolute_url()}" in pages


def test_feeds_carry_the_latest_posts(client, story):
    atom = client.get(reverse("blog:feed_atom"))
    assert atom["Content-Type"].startswith("application/atom+xml")
    assert story["story"].title in atom.content.decode()
    rss = client.get(reverse("blog:feed_rss"))
    assert rss["Content-Type"].startswith("application/rss+xml")
    assert "<category>" in rss.content.decode()


def test_pages_show_stored_thumbnails_without_touching_storage(client, post_factory, author_factory):
    """The images task's JSON is all a render reads: teaser, hero, social card, avatar."""

    def thumbnail(name, width, height):
        return {"url": f"https://media.example/{name}.webp", "width": width, "height": height}

    author = author_factory(
        avatar="avatars/2026/01/ada.jpg",
        avatar_thumbnails={"avatar": thumbnail("a", 96, 96), "avatar_2x": thumbnail("a2", 192, 192)},
    )
    post = post_factory(
        author=author,
        hero_image="posts/2026/01/tram.jpg",
        hero_image_alt="The tram depot at night",
        hero_thumbnails={
            "teaser": thumbnail("t", 480, 270),
            "teaser_2x": thumbnail("t2", 960, 540),
            "detail": thumbnail("d", 960, 540),
            "detail_2x": thumbnail("d2", 1920, 1080),
            "social": thumbnail("s", 1200, 630),
        },
    )
    home = client.get(reverse("blog:home")).content.decode()
    assert 'srcset="https://media.example/t.webp 1x, https://media.example/t2.webp 2x"' in home
    detail = client.get(post.get_absolute_url()).content.decode()
    assert 'alt="The tram depot at night"' in detail
    assert 'src="https://media.example/d.webp"' in detail
    assert '<meta property="og:image" content="https://media.example/s.webp">' in detail
    assert 'src="https://media.example/a.webp"' in detail
