"""The editor's path for images inside stories, in a real browser: pick a
library image with the body's "Insert library image" button, publish, and
the reader sees the figure with the worker's pre-generated sizes from the S3
endpoint, with no console error."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from apps.blog.models import Post
from apps.images.models import LibraryImage
from tests.support.browser import fill_in_a_post_published_now
from tests.support.photos import photo_bytes
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_inserts_a_library_image_and_the_reader_sees_its_body_sizes(
    staff_page, live_server, author_factory, category_factory, celery_worker_thread, console_errors
):
    author_factory(name="Rosa Ivanova")
    category_factory(name="Harbour")
    library_image = LibraryImage.objects.create(
        file=SimpleUploadedFile("quay.jpg", photo_bytes((1600, 1000)), content_type="image/jpeg"),
        alt_text="The old quay at dusk",
        credit="Photo: Rosa Ivanova",
    )
    assert wait_for(lambda: LibraryImage.objects.get(pk=library_image.pk).thumbnails), "no thumbnails made"
    page = staff_page

    page.goto(f"{live_server.url}/admin/blog/post/add/")
    fill_in_a_post_published_now(page, "Quay reopens", "Rosa Ivanova", "Harbour")
    page.fill("#id_body", "The quay reopens on Monday.\n\nThe council paid for new stones.")
    page.locator("#id_body").evaluate("body => body.setSelectionRange(28, 28)")  # after the first paragraph
    with page.expect_popup() as popup_opened:
        page.click("text=Insert library image")
    library = popup_opened.value
    library.click(f"a[data-popup-opener='{library_image.pk}']")
    expect(page.locator("#id_body")).to_have_value(
        f"The quay reopens on Monday.\n\n![](image:{library_image.pk})\n\nThe council paid for new stones."
    )
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")

    post = Post.objects.get(slug="quay-reopens")
    page.goto(f"{live_server.url}{post.get_absolute_url()}")
    figure = page.locator(".post-body figure")
    expect(figure.locator("figcaption")).to_have_text("Photo: Rosa Ivanova")
    image = figure.locator("img")
    expect(image).to_have_attribute("alt", "The old quay at dusk")
    expect(image).to_have_attribute("loading", "lazy")
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    thumbnails = LibraryImage.objects.get(pk=library_image.pk).thumbnails
    body_sizes = {thumbnails[alias]["url"] for alias in settings.BODY_IMAGE_ALIASES}
    current_source = image.evaluate("image => image.currentSrc")
    # The browser picked one of the pre-generated body sizes, from the S3 endpoint, and decoded it.
    assert current_source in body_sizes
    assert current_source.startswith(f"{settings.AWS_S3_ENDPOINT_URL}/{settings.AWS_STORAGE_BUCKET_NAME}/")
    assert image.evaluate("image => image.naturalWidth") > 0
    assert console_errors == []
