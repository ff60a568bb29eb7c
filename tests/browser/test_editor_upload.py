"""The editor's path of issue 6, in a real browser: write a post in the admin
with a hero image, save, and see optimized thumbnails from the S3 endpoint on
the post's page once the (real) worker has made them."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from apps.blog.models import Post
from tests.support.browser import fill_in_a_post_published_now
from tests.support.photos import photo_bytes
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_uploads_a_hero_image_and_readers_get_optimized_thumbnails(
    staff_page, live_server, tmp_path, author_factory, category_factory, celery_worker_thread
):
    author_factory(name="Rosa Ivanova")
    category_factory(name="Harbour")
    hero_path = tmp_path / "ferry.jpg"
    hero_path.write_bytes(photo_bytes())
    page = staff_page

    page.goto(f"{live_server.url}/admin/blog/post/add/")
    fill_in_a_post_published_now(page, "Night ferry returns", "Rosa Ivanova", "Harbour")
    assert page.input_value("#id_slug") == "night-ferry-returns"
    page.fill("#id_body", "The **night ferry** sails again from the old quay.")
    page.set_input_files("#id_hero_image", str(hero_path))
    page.fill("#id_hero_image_alt", "The ferry at the quay at night")
    page.click("input[name=_save]")

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    post = Post.objects.get(slug="night-ferry-returns")
    assert wait_for(lambda: Post.objects.get(pk=post.pk).hero_thumbnails), "the worker made no thumbnails"

    page.goto(f"{live_server.url}{post.get_absolute_url()}")
    hero = page.locator("figure.hero img")
    hero_src = hero.get_attribute("src")
    assert hero_src.startswith(f"{settings.AWS_S3_ENDPOINT_URL}/{settings.AWS_STORAGE_BUCKET_NAME}/")
    assert hero_src == Post.objects.get(pk=post.pk).hero_thumbnails["detail"]["url"]
    assert hero_src.endswith(".webp")
    assert hero.get_attribute("alt") == "The ferry at the quay at night"
    # The browser fetched and decoded it from the S3 endpoint.
    assert hero.evaluate("image => image.complete && image.naturalWidth") == 960
