"""Bad input is a 404 or clean output, never a 500: out-of-range archive
dates, control characters pasted into names, and markup in an excerpt."""

import importlib
import xml.etree.ElementTree as ElementTree

import pytest
from django.apps import apps as installed_apps
from django.db import connection
from django.urls import reverse

from apps.blog.models import Author, Category, Post, Tag

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
# A vertical tab, a form feed, an escape and a DEL: what a paste from a word
# processor or a terminal brings. XML 1.0 cannot carry the first three.
PASTED_CONTROLS = "\x0b\x0c\x1b\x7f"


@pytest.mark.parametrize("path", ["/archive/9999/", "/archive/9999/12/", "/archive/0000/"])
def test_archive_beyond_the_calendar_is_404_not_500(client, path):
    assert client.get(path).status_code == 404


def test_archive_of_an_ordinary_year_still_answers(client, post_factory):
    post = post_factory()
    year = post.published_at.year
    assert client.get(f"/archive/{year}/").status_code == 200
    assert client.get(f"/archive/{year}/{post.published_at.month:02d}/").status_code == 200


def test_control_characters_are_stripped_on_save(post_factory, author_factory, category_factory, tag_factory):
    author = author_factory(name=f"Ada{PASTED_CONTROLS} Lovelace")
    category = category_factory(name="Ci\x0bty")
    tag = tag_factory(name="Tr\x1bam")
    post = post_factory(
        title=f"Harbour{PASTED_CONTROLS} reopens",
        excerpt="Line one\nline\ttwo\x0b.",
        body="Body\x02 text",
        author=author,
        category=category,
    )

    assert Author.objects.get(pk=author.pk).name == "Ada Lovelace"
    assert Category.objects.get(pk=category.pk).name == "City"
    assert Tag.objects.get(pk=tag.pk).name == "Tram"
    stored = Post.objects.get(pk=post.pk)
    assert stored.title == "Harbour reopens"
    # Newlines and tabs are text, not controls: they stay.
    assert stored.excerpt == "Line one\nline\ttwo."
    assert stored.body == "Body text"


@pytest.mark.parametrize("feed_name", ["blog:feed_rss", "blog:feed_atom"])
def test_feeds_answer_when_names_carry_control_characters(client, post_factory, feed_name):
    post_factory(title="Harbour\x0b reopens", excerpt="Ships\x0c return.")

    response = client.get(reverse(feed_name))

    assert response.status_code == 200
    assert "Harbour reopens" in response.content.decode()


def test_stored_control_characters_are_cleaned_by_the_data_migration(post_factory, author_factory):
    """Rows written before the fix (or by a queryset update, which skips save())."""
    post = post_factory()
    author = author_factory()
    Post.objects.filter(pk=post.pk).update(title="Old\x0b title", excerpt="Old\x1b excerpt")
    Author.objects.filter(pk=author.pk).update(name="Old\x0c name")
    Category.objects.filter(pk=post.category_id).update(name="Old\x1f desk")
    last_modified_before = Post.objects.get(pk=post.pk).last_modified

    migration = importlib.import_module("apps.blog.migrations.0007_strip_control_characters")
    migration.strip_stored_control_characters(installed_apps, connection.schema_editor())

    cleaned = Post.objects.get(pk=post.pk)
    assert (cleaned.title, cleaned.excerpt) == ("Old title", "Old excerpt")
    assert cleaned.last_modified > last_modified_before, "its cached fragments must expire"
    assert Author.objects.get(pk=author.pk).name == "Old name"
    assert Category.objects.get(pk=post.category_id).name == "Old desk"


def test_rss_excerpt_is_escaped_as_the_site_escapes_it(client, post_factory):
    """Readers treat <description> as HTML: the excerpt, plain text on the
    site, must arrive as text, not as markup a feed reader would run."""
    excerpt = 'Fish & <b>chips</b> <script>alert("x")</script>'
    post_factory(excerpt=excerpt)

    rss = client.get(reverse("blog:feed_rss")).content
    channel = ElementTree.fromstring(rss).find("channel")  # noqa: S314 - our own feed

    description = channel.find("item").find("description").text
    assert description == (
        "Fish &amp; &lt;b&gt;chips&lt;/b&gt; &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    )


def test_atom_summary_is_escaped_as_the_site_escapes_it(client, post_factory):
    post_factory(excerpt="<img src=x onerror=alert(1)>")

    atom = client.get(reverse("blog:feed_atom")).content
    feed = ElementTree.fromstring(atom)  # noqa: S314 - our own feed

    summary = feed.find(f"{ATOM}entry").find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert summary.text == "&lt;img src=x onerror=alert(1)&gt;"


def test_markup_in_titles_and_names_is_shown_as_text_on_every_page(client, post_factory, tag_factory):
    """Template autoescaping: what editors type is text, never markup the page runs."""
    attack = '<script>alert("x")</script>'
    post = post_factory(title=f"Title {attack}", excerpt=f"Excerpt {attack}", tags=[tag_factory(name=attack)])
    post.author.name = f"Author {attack}"
    post.author.save()
    post.category.name = f"Desk {attack}"
    post.category.save()

    for url in (
        "/",
        post.get_absolute_url(),
        post.category.get_absolute_url(),
        post.author.get_absolute_url(),
    ):
        content = client.get(url).content.decode()
        assert attack not in content, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content, url
