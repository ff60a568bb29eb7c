import io
import re

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone
from django.utils.text import slugify

from apps.blog.models import Author, Category, Post, Tag
from apps.blog.rendering import render_markdown
from apps.core.counts import estimated_table_rows


def seed(*arguments):
    output = io.StringIO()
    call_command("seed_demo", *arguments, stdout=output, stderr=io.StringIO())
    return output.getvalue()


@pytest.fixture(scope="module")
def seeded_posts(django_db_setup, django_db_blocker):
    """One seeding of 200 posts shared by the module's read-only tests (COPY, then ANALYZE).

    seed_demo ANALYZEs after its own transaction, so this runs outside a test
    transaction and the rows are removed again afterwards.
    """
    with django_db_blocker.unblock():
        output = seed("--posts", "200", "--seed", "7")
        yield output
        Post.tags.through.objects.all().delete()
        Post.objects.all().delete()
        Author.objects.all().delete()
        Category.objects.all().delete()
        Tag.objects.all().delete()


@pytest.mark.django_db
def test_seeds_the_requested_posts_with_authors_categories_and_tags(seeded_posts):
    assert Post.objects.count() == 200
    assert Author.objects.count() == 20
    assert Category.objects.count() == 8
    assert Tag.objects.count() == 60
    assert all(author.bio for author in Author.objects.all())


@pytest.mark.django_db
def test_three_percent_drafts_two_percent_scheduled_the_rest_public(seeded_posts):
    now = timezone.now()
    assert Post.objects.filter(status=Post.Status.DRAFT, published_at__isnull=True).count() == 6
    assert Post.objects.filter(status=Post.Status.SCHEDULED, published_at__gt=now).count() == 4
    assert Post.objects.published().count() == 190


@pytest.mark.django_db
def test_slugs_are_unique_and_made_from_the_title(seeded_posts):
    posts = list(Post.objects.only("id", "title", "slug"))
    assert len({post.slug for post in posts}) == 200
    assert all(post.slug == f"{slugify(post.title)}-{post.id}" for post in posts)


@pytest.mark.django_db
def test_every_post_has_one_to_five_tags_and_rendered_html(seeded_posts):
    tag_counts = set(Post.objects.annotate(tag_count=Count("tags")).values_list("tag_count", flat=True))
    assert tag_counts <= {1, 2, 3, 4, 5}
    assert len(tag_counts) > 1
    post = Post.objects.order_by("?").first()
    assert post.body_html == render_markdown(post.body)


@pytest.mark.django_db
def test_copy_leaves_the_generated_search_vector_to_postgres(seeded_posts):
    post = Post.objects.published().first()
    word = re.sub(r"\W", "", post.title.split()[1])
    matches = Post.objects.filter(search_vector=SearchQuery(word, config="english"))
    assert matches.filter(pk=post.pk).exists()


@pytest.mark.django_db
def test_the_id_sequence_continues_after_the_copied_ids(seeded_posts, post_factory):
    last_seeded_id = Post.objects.order_by("-pk").values_list("pk", flat=True)[0]
    assert post_factory().pk == last_seeded_id + 1


@pytest.mark.django_db
def test_seeding_analyzes_so_approximate_counts_are_ready(seeded_posts):
    assert estimated_table_rows(Post._meta.db_table) == 200


@pytest.mark.django_db
def test_published_dates_span_years_and_the_newest_posts_have_hero_images(seeded_posts):
    oldest, newest = (
        Post.objects.published().order_by("published_at").values_list("published_at", flat=True)[0],
        Post.objects.published().values_list("published_at", flat=True)[0],
    )
    assert (newest - oldest).days > 365 * 5
    assert Post.objects.exclude(hero_image="").count() == 4
    assert Author.objects.exclude(avatar="").count() == 20


@pytest.mark.django_db
def test_generated_images_have_their_thumbnails_before_the_first_page_view(seeded_posts):
    heroes = Post.objects.exclude(hero_image="")
    assert all(post.hero_thumbnails.get("teaser", {}).get("url") for post in heroes)
    assert all(author.avatar_thumbnails for author in Author.objects.all())


@pytest.mark.django_db
def test_if_empty_seeds_an_empty_site_once_and_is_a_no_op_after(seeded_posts):
    Post.objects.all().delete()  # rolled back with the test
    first_output = seed("--posts", "30", "--if-empty", "--no-images")
    slugs = set(Post.objects.values_list("slug", flat=True))

    second_output = seed("--posts", "30", "--if-empty", "--no-images")

    assert "Seeded 30 posts" in first_output
    assert "nothing to do" in second_output
    assert set(Post.objects.values_list("slug", flat=True)) == slugs


@pytest.mark.django_db
def test_negative_post_count_is_refused():
    with pytest.raises(CommandError, match="zero or more"):
        seed("--posts", "-1")
