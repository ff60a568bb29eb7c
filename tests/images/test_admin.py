"""The editors' upload path: multipart posts to the real admin views, files into the real bucket."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.blog.models import Post
from apps.images.forms import STORAGE_DOWN_MESSAGE
from apps.images.models import LibraryImage
from apps.images.tasks import generate_thumbnails
from tests.support.pages import opened_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    editor = get_user_model().objects.create_superuser("editor", "editor@example.com", "correct horse")
    client.force_login(editor)
    return client


def test_library_image_uploaded_in_the_admin_lands_in_the_bucket_and_queues_thumbnails(
    editor_client, image_upload, bucket_keys, django_capture_on_commit_callbacks, broker_messages
):
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("admin:images_libraryimage_add"),
            {"file": image_upload("quay.jpg"), "alt_text": "Boats at the quay", "credit": "Staff"},
        )

    assert response.status_code == 302
    library_image = LibraryImage.objects.get()
    assert (library_image.width, library_image.height, library_image.credit) == (1600, 1000, "Staff")
    assert library_image.file.name in bucket_keys("library/")
    assert broker_messages() == {
        "high": [(generate_thumbnails.name, ("images.LibraryImage", library_image.pk, "file"))]
    }


def test_admin_refuses_a_fake_image_with_a_message_and_stores_nothing(
    editor_client, image_upload, bucket_keys
):
    before = bucket_keys("library/")

    response = editor_client.post(
        reverse("admin:images_libraryimage_add"),
        {"file": image_upload("invoice.jpg", content=b"%PDF-1.7 not a picture" * 50), "alt_text": "x"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["file"]
    assert LibraryImage.objects.count() == 0
    assert bucket_keys("library/") == before


def test_admin_upload_with_s3_down_is_refused_clearly(editor_client, image_upload, throwaway_s3):
    throwaway_s3.stop()

    response = editor_client.post(
        reverse("admin:images_libraryimage_add"), {"file": image_upload(), "alt_text": "Storm"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["file"] == [STORAGE_DOWN_MESSAGE]
    assert LibraryImage.objects.count() == 0


def test_library_change_list_previews_come_from_stored_urls(editor_client, image_upload, s3_requests):
    LibraryImage.objects.create(
        file="library/2026/01/known.jpg",
        width=800,
        height=600,
        alt_text="Known",
        thumbnails={"teaser": {"url": "https://cdn.example/known-teaser.webp", "width": 480, "height": 270}},
    )
    s3_requests.clear()

    response = editor_client.get(reverse("admin:images_libraryimage_changelist"))

    assert b'<img src="https://cdn.example/known-teaser.webp"' in response.content
    assert s3_requests == []


def test_hero_image_uploaded_through_the_post_admin_is_stored_and_queued(
    editor_client,
    image_upload,
    bucket_keys,
    django_capture_on_commit_callbacks,
    author_factory,
    category_factory,
    broker_messages,
):
    author, category = author_factory(), category_factory()
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("admin:blog_post_add"),
            {
                "title": "Ferry strike",
                "slug": "ferry-strike",
                "author": author.pk,
                "category": category.pk,
                "status": "draft",
                "body": "The ferries stopped at noon.",
                "hero_image": image_upload("ferry.jpg"),
                "hero_image_alt": "An empty ferry terminal",
            },
        )

    assert response.status_code == 302, response.context["adminform"].form.errors
    post = Post.objects.get(slug="ferry-strike")
    assert post.hero_image.name in bucket_keys("posts/")
    assert (generate_thumbnails.name, ("blog.Post", post.pk, "hero_image")) in broker_messages()["high"]


def test_post_admin_refuses_a_fake_hero_image_with_a_message_and_stores_nothing(
    editor_client, image_upload, bucket_keys, author_factory, category_factory
):
    before = bucket_keys("posts/")

    response = editor_client.post(
        reverse("admin:blog_post_add"),
        {
            "title": "Forged picture",
            "slug": "forged-picture",
            "author": author_factory().pk,
            "category": category_factory().pk,
            "status": "draft",
            "body": "Text.",
            "hero_image": image_upload("forged.png", content=b"<svg onload=alert(1)>" * 40),
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["hero_image"]
    assert not Post.objects.filter(slug="forged-picture").exists()
    assert bucket_keys("posts/") == before


def test_author_admin_refuses_an_avatar_while_s3_is_down_and_keeps_the_author(
    editor_client, image_upload, throwaway_s3, author_factory
):
    author = author_factory(name="Ada Okafor")
    throwaway_s3.stop()

    response = editor_client.post(
        reverse("admin:blog_author_change", args=[author.pk]),
        {
            "name": "Ada Okafor-Reyes",
            "slug": author.slug,
            "bio": "",
            "avatar": image_upload(),
            **opened_form_data(author),
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["avatar"] == [STORAGE_DOWN_MESSAGE]
    author.refresh_from_db()
    assert (author.name, author.avatar.name) == ("Ada Okafor", "")
