"""A small site with every kind of public page, the URL of each page, and the
admin's post form as an editor submits it."""

from django.urls import reverse
from django.utils import timezone

from apps.blog.models import Post
from tests.factories import AuthorFactory, CategoryFactory, PostFactory, TagFactory


def build_site():
    """Three published posts by one author in one section with two tags, and a draft."""
    author = AuthorFactory(name="Ada Byline")
    category = CategoryFactory(name="Harbour")
    tags = [TagFactory(name="Ferries"), TagFactory(name="Council")]
    posts = [PostFactory(author=author, category=category, tags=tags) for _ in range(3)]
    draft = PostFactory(author=author, category=category, status=Post.Status.DRAFT, title="Secret draft")
    return {"author": author, "category": category, "tag": tags[0], "posts": posts, "draft": draft}


PAGE_NAMES = (
    "home",
    "category",
    "tag",
    "author",
    "archive_year",
    "archive_month",
    "post",
    "feed_rss",
    "feed_atom",
    "search",
    "sitemap",
    "sitemap_posts",
    "sitemap_pages",
    "robots_txt",
)


def page_urls(site):
    """{page name: URL} of every public page of `site`, named as in tests/support/budgets.py."""
    newest = site["posts"][0]
    return {
        "home": reverse("blog:home"),
        "category": site["category"].get_absolute_url(),
        "tag": site["tag"].get_absolute_url(),
        "author": site["author"].get_absolute_url(),
        "archive_year": reverse("blog:archive_year", args=[newest.published_at.year]),
        "archive_month": reverse(
            "blog:archive_month", args=[newest.published_at.year, newest.published_at.month]
        ),
        "post": newest.get_absolute_url(),
        "feed_rss": reverse("blog:feed_rss"),
        "feed_atom": reverse("blog:feed_atom"),
        "search": reverse("blog:search") + "?q=harbour",
        "sitemap": reverse("sitemap"),
        "sitemap_posts": reverse("sitemap_section", args=["posts"]),
        "sitemap_pages": reverse("sitemap_section", args=["pages"]),
        "robots_txt": reverse("robots_txt"),
    }


def opened_form_data(row):
    """The hidden fields of a change form opened now (apps/blog/edit_conflicts.py)."""
    return {"opened_version": row.version, "opened_at": timezone.now().isoformat()}


def post_form_data(post, **changes):
    """The post's admin change form as submitted unchanged, with `changes` on top."""
    data = {
        **opened_form_data(post),
        "title": post.title,
        "slug": post.slug,
        "author": post.author_id,
        "category": post.category_id,
        "tags": [tag.pk for tag in post.tags.all()],
        "status": post.status,
        "published_at_0": post.published_at.strftime("%Y-%m-%d") if post.published_at else "",
        "published_at_1": post.published_at.strftime("%H:%M:%S") if post.published_at else "",
        "excerpt": post.excerpt,
        "body": post.body,
        "hero_image_alt": post.hero_image_alt,
    }
    data.update(changes)
    return data
