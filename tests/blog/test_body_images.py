"""Library images inside post bodies: rendered on save from the stored
thumbnails, re-rendered when they change, never broken, never deleted from
under a story."""

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.blog.models import Post, PostBodyImage
from apps.blog.rendering import render_body, render_markdown
from apps.blog.signals import rerender_bodies_showing
from apps.images.models import LibraryImage
from apps.images.thumbnails import refresh_thumbnails
from tests.support.pages import post_form_data
from tests.support.photos import photo_bytes

pytestmark = pytest.mark.django_db

BUCKET_URL = f"{settings.AWS_S3_ENDPOINT_URL}/{settings.AWS_STORAGE_BUCKET_NAME}"


def stored_sizes(name, widths, aspect=0.625):
    """The JSON the thumbnail task stores, for a source named `name`."""
    return {
        alias: {"url": f"{BUCKET_URL}/{name}.{width}.webp", "width": width, "height": round(width * aspect)}
        for alias, width in widths.items()
    }


@pytest.fixture
def library_image(db, django_capture_on_commit_callbacks):
    """A library row with stored body thumbnails (no upload: the renderer reads only the row)."""
    with django_capture_on_commit_callbacks(execute=False):
        return LibraryImage.objects.create(
            file="library/2026/11/quay.jpg",
            width=2000,
            height=1250,
            alt_text="The old quay at dusk",
            credit="Photo: Rosa Ivanova",
            thumbnails=stored_sizes("quay", {"body_480": 480, "body_720": 720, "body_1440": 1440}),
        )


@pytest.fixture
def uploaded_library_image(django_capture_on_commit_callbacks):
    """A real upload to the S3 endpoint whose thumbnail task has not run yet."""
    upload = SimpleUploadedFile("ferry.jpg", photo_bytes((1600, 1000)), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=False):
        return LibraryImage.objects.create(file=upload, alt_text="The ferry", credit="Photo: Desk")


def img_attributes(html):
    """{name: value} of the first <img> (the sanitizer writes attributes in its own order)."""
    return dict(re.findall(r'([a-z]+)="([^"]*)"', re.search(r"<img [^>]*>", html).group(0)))


def test_a_lone_reference_renders_a_figure_with_the_body_sizes(library_image):
    html = render_markdown(f"Before.\n\n![](image:{library_image.pk})\n\nAfter.")

    assert re.sub(r"<img [^>]*>", "<img>", html) == (
        "<p>Before.</p>\n"
        "<figure><img><figcaption><small>Photo: Rosa Ivanova</small></figcaption>\n</figure>\n"
        "<p>After.</p>"
    )
    assert img_attributes(html) == {
        "src": f"{BUCKET_URL}/quay.720.webp",
        "srcset": f"{BUCKET_URL}/quay.480.webp 480w, {BUCKET_URL}/quay.720.webp 720w, "
        f"{BUCKET_URL}/quay.1440.webp 1440w",
        "sizes": "(min-width: 46rem) 42rem, 100vw",
        "width": "720",
        "height": "450",
        "alt": "The old quay at dusk",
        "loading": "lazy",
        "decoding": "async",
    }


def test_the_editors_alt_text_and_caption_win_over_the_librarys(library_image):
    html = render_markdown(f'![Ferry passengers on the quay](image:{library_image.pk} "Monday\'s crossing")')

    assert img_attributes(html)["alt"] == "Ferry passengers on the quay"
    assert "<figcaption>Monday's crossing <small>Photo: Rosa Ivanova</small></figcaption>" in html


def test_a_reference_inside_a_sentence_renders_an_inline_image(library_image):
    html = render_markdown(f"See ![](image:{library_image.pk}) here.")

    assert re.sub(r"<img [^>]*>", "<img>", html) == "<p>See <img> here.</p>"
    assert img_attributes(html)["src"] == f"{BUCKET_URL}/quay.720.webp"


def test_a_reference_to_a_missing_image_renders_nothing_broken(db):
    rendered = render_body("Intro.\n\n![](image:424242)\n\nA ![lost](image:424243) word.")

    assert rendered.html == "<p>Intro.</p>\n<p>A  word.</p>"
    assert rendered.image_ids == frozenset()


def test_a_reference_in_a_code_block_stays_text(library_image):
    html = render_markdown(f"    ![](image:{library_image.pk})")

    assert html == f"<pre><code>![](image:{library_image.pk})\n</code></pre>"


def test_one_query_loads_every_image_of_a_body(library_image, django_assert_num_queries):
    body = "\n\n".join(f"![](image:{library_image.pk})" for _ in range(5)) + "\n\n![](image:424242)"
    with django_assert_num_queries(1):
        render_markdown(body)


def test_the_sanitizer_still_strips_what_an_editor_writes_by_hand(db):
    html = render_markdown(
        '<figure class="x" style="color:red"><img src="https://example.com/a.jpg" onerror="alert(1)" '
        'srcset="https://example.com/a.jpg 1x" loading="lazy"><figcaption onclick="alert(1)">Hi</figcaption>'
        "</figure>"
    )

    assert re.sub(r"<img [^>]*>", "<img>", html) == "<figure><img><figcaption>Hi</figcaption></figure>"
    assert img_attributes(html) == {
        "src": "https://example.com/a.jpg",
        "srcset": "https://example.com/a.jpg 1x",
        "loading": "lazy",
    }


def test_saving_a_post_records_the_images_its_body_shows(post_factory, library_image):
    post = post_factory(body=f"![](image:{library_image.pk})\n\n![](image:424242)")
    assert list(post.body_images.values_list("image_id", flat=True)) == [library_image.pk]

    post.body = "No pictures now."
    post.save(update_fields=["body"])
    assert not post.body_images.exists()


def test_thumbnails_made_after_the_save_reach_the_stored_body(post_factory, uploaded_library_image):
    """The worker makes the body sizes after the editor saved: the
    thumbnails_stored signal renders the body again, with a new last_modified."""
    post = post_factory(body=f"![](image:{uploaded_library_image.pk})")
    before = Post.objects.get(pk=post.pk)
    before_img = img_attributes(before.body_html)
    assert before_img["src"] == uploaded_library_image.file.url
    assert (before_img["width"], before_img["height"]) == ("1600", "1000")
    assert "srcset" not in before_img

    refresh_thumbnails("images.LibraryImage", uploaded_library_image.pk, "file")

    after = Post.objects.get(pk=post.pk)
    thumbnails = LibraryImage.objects.get(pk=uploaded_library_image.pk).thumbnails
    after_img = img_attributes(after.body_html)
    assert after_img["src"] == thumbnails["body_720"]["url"]
    assert after_img["src"].startswith(BUCKET_URL)
    assert after_img["src"].endswith(".webp")
    assert (after_img["width"], after_img["height"]) == ("720", "450")
    assert after_img["srcset"] == ", ".join(
        f"{thumbnails[alias]['url']} {thumbnails[alias]['width']}w" for alias in settings.BODY_IMAGE_ALIASES
    )
    assert after.last_modified > before.last_modified


def test_editing_the_credit_renders_the_bodies_again(post_factory, library_image):
    post = post_factory(body=f"![](image:{library_image.pk})")
    library_image.credit = "Photo: Harbour Archive"
    library_image.save()

    assert "<small>Photo: Harbour Archive</small>" in Post.objects.get(pk=post.pk).body_html


def test_rendering_bodies_again_writes_only_their_html_under_the_row_lock(post_factory, library_image):
    post = post_factory(body=f"Draft one.\n\n![](image:{library_image.pk})")
    with CaptureQueriesContext(connection) as queries:
        rerender_bodies_showing(library_image.pk)

    statements = [query["sql"] for query in queries.captured_queries]
    assert any(sql.startswith("SELECT") and sql.endswith("FOR UPDATE") for sql in statements)
    (update,) = [sql for sql in statements if sql.startswith('UPDATE "blog_post"')]
    assert '"body_html" =' in update
    assert '"body" =' not in update, "the body an editor saves is never written back from an older read"
    assert Post.objects.get(pk=post.pk).body.startswith("Draft one.")


def test_an_image_a_story_shows_cannot_be_deleted(post_factory, library_image):
    post_factory(title="Quay story", body=f"![](image:{library_image.pk})")

    with pytest.raises(ProtectedError):
        library_image.delete()


def test_the_admin_refuses_to_delete_an_image_a_story_shows_and_says_which(
    admin_client, post_factory, library_image
):
    post_factory(title="Quay story", body=f"![](image:{library_image.pk})")
    delete_url = reverse("admin:images_libraryimage_delete", args=[library_image.pk])

    response = admin_client.post(delete_url, {"post": "yes"})

    assert response.status_code == 200
    assert "“The old quay at dusk” cannot be deleted: these stories show it in their body." in response.text
    assert "<li>Story showing it: “Quay story”</li>" in response.text
    assert LibraryImage.objects.filter(pk=library_image.pk).exists()


def test_an_image_no_story_shows_any_more_can_be_deleted(post_factory, library_image):
    post = post_factory(body=f"![](image:{library_image.pk})")
    post.body = "Text only."
    post.save()

    library_image.delete()

    assert not PostBodyImage.objects.exists()


def test_the_admin_warns_about_a_reference_to_a_missing_image(admin_client, post_factory, library_image):
    post = post_factory(body="Draft.")
    change_url = reverse("admin:blog_post_change", args=[post.pk])
    data = post_form_data(post, body=f"![](image:{library_image.pk})\n\n![](image:424242)")

    response = admin_client.post(change_url, data, follow=True)

    messages = [str(message) for message in response.context["messages"]]
    assert "The body refers to library image 424242 (not in the library)" in " ".join(messages)
    assert list(PostBodyImage.objects.values_list("image_id", flat=True)) == [library_image.pk]


def test_the_body_field_has_the_library_image_button(admin_client, post_factory):
    post = post_factory()

    response = admin_client.get(reverse("admin:blog_post_change", args=[post.pk]))

    assert 'id="lookup_id_body_library_image"' in response.text
    assert f'href="{reverse("admin:images_libraryimage_changelist")}"' in response.text
    assert "js/admin_body_images" in response.text
