"""Old URLs keep working (KeepsFormerSlugs, redirect_renamed): a renamed post,
category, tag or author answers 301 at every earlier slug while readers may
see it, 404 otherwise; made-up slugs stay 404 and never reach the page cache."""

import pytest
from django.core.cache import cache
from django.db import IntegrityError
from django.urls import reverse
from django.utils.http import urlencode

from apps.blog.models import Post, PostFormerSlug
from apps.core.pagination import encode_cursor
from tests.support.pages import opened_form_data, post_form_data


def renamed(row, slug):
    row.slug = slug
    row.save()
    return row


def stored_responses():
    return cache.keys("response:*")


def test_a_post_renamed_in_the_admin_answers_301_at_its_old_address(
    client, admin_client, post_factory, django_capture_on_commit_callbacks
):
    post = post_factory(slug="council-vote")
    assert client.get("/posts/council-vote/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:blog_post_change", args=[post.pk]),
            post_form_data(post, slug="council-vote-tonight"),
        )

    response = client.get("/posts/council-vote/")
    assert response.status_code == 301
    assert response["Location"] == "/posts/council-vote-tonight/"
    assert client.get("/posts/council-vote-tonight/").status_code == 200


def test_every_earlier_slug_leads_to_the_current_address(client, post_factory):
    post = renamed(renamed(post_factory(slug="first"), "second"), "third")

    assert [client.get(f"/posts/{slug}/")["Location"] for slug in ("first", "second")] == [
        "/posts/third/"
    ] * 2
    assert set(PostFormerSlug.objects.filter(owner=post).values_list("slug", flat=True)) == {
        "first",
        "second",
    }


def test_a_save_that_keeps_the_slug_records_nothing(post_factory):
    post = post_factory(slug="steady")
    post.title = "New title"
    post.save()
    post.save(update_fields=["body", "last_modified"])

    assert not PostFormerSlug.objects.exists()


def test_a_rename_that_fails_records_no_former_slug(post_factory):
    """The history row is written in the rename's transaction: no rename, no row."""
    post_factory(slug="taken")
    post = post_factory(slug="mine")

    with pytest.raises(IntegrityError):
        renamed(post, "taken")

    assert not PostFormerSlug.objects.exists()


def test_an_unpublished_post_answers_404_at_its_current_and_old_slugs_even_when_cached(
    client, post_factory, django_capture_on_commit_callbacks
):
    post = renamed(post_factory(slug="old-story"), "story")
    assert client.get("/posts/story/").status_code == 200
    assert client.get("/posts/old-story/").status_code == 301

    with django_capture_on_commit_callbacks(execute=True):
        Post.objects.filter(pk=post.pk).unpublish()

    assert client.get("/posts/story/").status_code == 404
    assert client.get("/posts/old-story/").status_code == 404


def test_an_old_slug_taken_by_a_new_draft_leads_nowhere(client, post_factory):
    renamed(post_factory(slug="budget"), "budget-2027")
    post_factory(slug="budget", status=Post.Status.DRAFT, published_at=None)

    assert client.get("/posts/budget/").status_code == 404


def test_a_slug_two_posts_gave_up_leads_to_the_last_to_give_it_up(client, post_factory):
    renamed(post_factory(slug="obituary"), "obituary-smith")
    renamed(post_factory(slug="obituary"), "obituary-jones")

    assert client.get("/posts/obituary/")["Location"] == "/posts/obituary-jones/"


def test_a_made_up_slug_costs_one_history_query_and_is_never_stored(
    client, post_factory, django_assert_num_queries
):
    """The post, then the history, then the 404 page's section navigation (cold)."""
    post_factory()

    with django_assert_num_queries(3) as captured:
        response = client.get("/posts/no-such-story/")

    assert response.status_code == 404
    tables = [query["sql"].split(" FROM ")[1].split()[0] for query in captured.captured_queries]
    assert tables == ['"blog_post"', '"blog_post"', '"blog_category"']
    assert "blog_postformerslug" in captured.captured_queries[1]["sql"]
    assert stored_responses() == []
    with django_assert_num_queries(2):
        assert client.get("/posts/no-such-story/").status_code == 404


def test_an_old_slug_redirects_in_two_queries_and_the_301_is_not_stored(
    client, post_factory, django_assert_num_queries
):
    renamed(post_factory(slug="harbour-wall"), "harbour-wall-repaired")

    with django_assert_num_queries(2):
        response = client.get("/posts/harbour-wall/")

    assert response.status_code == 301
    assert "public" in response["Cache-Control"]
    assert stored_responses() == []


def test_the_current_slug_never_reads_the_history(client, post_factory, django_assert_num_queries):
    renamed(post_factory(slug="before"), "after")
    client.get("/posts/after/")

    with django_assert_num_queries(0):
        assert client.get("/posts/after/").status_code == 200


@pytest.mark.parametrize("kind", ["category", "tag", "author"])
def test_renamed_categories_tags_and_authors_answer_301_with_the_list_query(
    client, admin_client, site, kind, django_capture_on_commit_callbacks
):
    row = site[kind]
    old_address = row.get_absolute_url()
    fields = {"name": row.name, "slug": "renamed-" + row.slug, **opened_form_data(row)}
    if kind == "author":
        fields["bio"] = row.bio
    if kind == "category":
        fields["position"] = row.position

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            admin_client.post(reverse(f"admin:blog_{kind}_change", args=[row.pk]), fields).status_code == 302
        )

    row.refresh_from_db()
    assert client.get(old_address)["Location"] == row.get_absolute_url()
    cursor = encode_cursor(site["posts"][0].published_at, site["posts"][0].pk)
    page_two = client.get(old_address, {"after": cursor})
    assert page_two["Location"] == row.get_absolute_url() + "?" + urlencode({"after": cursor})
    assert client.get(row.get_absolute_url()).status_code == 200


def test_a_category_with_no_public_post_answers_404_at_its_old_slug(client, category_factory):
    category = renamed(category_factory(slug="empty-desk"), "still-empty")

    assert client.get(f"/category/{category.slug}/").status_code == 404
    assert client.get("/category/empty-desk/").status_code == 404
