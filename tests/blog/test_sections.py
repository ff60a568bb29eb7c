"""The header's section navigation: the editors' order, the current section
marked, one cached fragment that follows every change to the categories."""

import re

import pytest
from django.urls import reverse

from apps.blog.models import Category, Post

pytestmark = pytest.mark.django_db


def section_links(html):
    """[(name, aria-current or None)] of the header's section navigation, in order."""
    nav = re.search(r'<nav class="site-sections".*?</nav>', html, re.DOTALL).group(0)
    return [
        (name, current or None)
        for current, name in re.findall(r'<a href="[^"]+"(?: aria-current="([a-z]+)")?>([^<]+)</a>', nav)
    ]


@pytest.fixture
def sections(category_factory, post_factory):
    sport = category_factory(name="Sport", slug="sport", position=2)
    news = category_factory(name="News", slug="news", position=1)
    culture = category_factory(name="Culture", slug="culture", position=3)
    post = post_factory(category=news, title="Council votes")
    post_factory(category=sport)
    post_factory(category=culture)
    return {"sport": sport, "news": news, "culture": culture, "post": post}


def test_the_header_lists_the_sections_in_the_editors_order(client, sections):
    html = client.get("/").text

    assert section_links(html) == [("News", None), ("Sport", None), ("Culture", None)]
    assert '<a href="/category/news/">News</a>' in html


def test_a_section_page_marks_itself_and_a_story_marks_its_section(client, sections):
    section_page = client.get(sections["sport"].get_absolute_url()).text
    story_page = client.get(sections["post"].get_absolute_url()).text

    assert section_links(section_page) == [("News", None), ("Sport", "page"), ("Culture", None)]
    assert section_links(story_page) == [("News", "true"), ("Sport", None), ("Culture", None)]


def changelist_positions(categories, positions):
    """The POST of the category change list's editable position column."""
    data = {
        "form-TOTAL_FORMS": str(len(categories)),
        "form-INITIAL_FORMS": str(len(categories)),
        "_save": "Save",
    }
    for index, (category, position) in enumerate(zip(categories, positions, strict=True)):
        data[f"form-{index}-id"] = str(category.pk)
        data[f"form-{index}-position"] = str(position)
    return data


def test_reordering_in_the_admin_reaches_the_next_reader_and_spares_the_posts(
    client, admin_client, sections, django_capture_on_commit_callbacks
):
    client.get("/")
    post_modified = Post.objects.get(pk=sections["post"].pk).last_modified
    categories = list(Category.objects.order_by("pk"))  # sport, news, culture

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:blog_category_changelist"),
            changelist_positions(categories, [3, 2, 1]),
        )

    assert response.status_code == 302
    assert section_links(client.get("/").text) == [("Culture", None), ("News", None), ("Sport", None)]
    # A place in the navigation shows on no post: their fragments keep their keys.
    assert Post.objects.get(pk=sections["post"].pk).last_modified == post_modified


def test_a_new_renamed_or_removed_section_reaches_the_next_reader(
    client, sections, category_factory, post_factory, django_capture_on_commit_callbacks
):
    client.get("/")

    with django_capture_on_commit_callbacks(execute=True):
        science = category_factory(name="Science", slug="science", position=0)
        post_factory(category=science)
    assert section_links(client.get("/").text)[0] == ("Science", None)

    with django_capture_on_commit_callbacks(execute=True):
        sections["culture"].name = "Arts"
        sections["culture"].save()
    assert ("Arts", None) in section_links(client.get("/").text)

    with django_capture_on_commit_callbacks(execute=True):
        Post.objects.filter(category=sections["sport"]).delete()
        sections["sport"].delete()
    assert section_links(client.get("/").text) == [("Science", None), ("News", None), ("Arts", None)]


def test_a_section_without_a_published_post_is_not_listed(client, sections, category_factory):
    """Its page is 404 until something is published in it, and its name may be embargoed."""
    category_factory(name="Embargoed merger", slug="embargoed-merger", position=0)

    assert "Embargoed merger" not in client.get("/").text
