"""Pre-generation, optimization, the on-the-fly fallback and warm renders, against the real S3."""

import urllib.request

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.template import Context, Template
from easy_thumbnails.files import get_thumbnailer

from apps.images.models import LibraryImage
from apps.images.thumbnails import expected_thumbnail_names, generate_thumbnails, refresh_thumbnails

pytestmark = pytest.mark.django_db


def reloaded(library_image):
    """A fresh copy. (refresh_from_db would re-read the image's dimensions from storage.)"""
    return LibraryImage.objects.get(pk=library_image.pk)


LIBRARY_ALIASES = settings.THUMBNAIL_ALIASES["images.LibraryImage.file"]


@pytest.fixture
def library_image(image_upload, django_capture_on_commit_callbacks):
    """A stored library image whose thumbnails task has not run (its on_commit callback is dropped)."""
    with django_capture_on_commit_callbacks(execute=False):
        return LibraryImage.objects.create(file=image_upload("harbour.jpg"), alt_text="The harbour at dawn")


def test_generation_puts_every_alias_in_the_bucket_and_fills_the_json(library_image, bucket_keys):
    before = library_image.last_modified

    generated = refresh_thumbnails("images.LibraryImage", library_image.pk, "file")

    library_image = reloaded(library_image)
    names = expected_thumbnail_names(library_image.file.name, LIBRARY_ALIASES)
    assert set(library_image.thumbnails) == set(LIBRARY_ALIASES) == set(generated.thumbnails)
    assert set(names.values()) <= bucket_keys(library_image.file.name)
    bucket_url = f"{settings.AWS_S3_ENDPOINT_URL}/{settings.AWS_STORAGE_BUCKET_NAME}"
    for alias, stored in library_image.thumbnails.items():
        assert stored["url"] == f"{bucket_url}/{names[alias]}"
        assert names[alias].endswith(".webp")
    assert library_image.thumbnails["teaser"] | {"url": ""} == {"url": "", "width": 480, "height": 270}
    assert library_image.thumbnails["teaser_2x"]["width"] == 960
    assert library_image.thumbnails["detail"]["width"] == 960
    assert library_image.thumbnails["social"] | {"url": ""} == {"url": "", "width": 1200, "height": 630}
    # Key-based expiration: fragments keyed on last_modified see the new thumbnails.
    assert library_image.last_modified > before


def test_stored_thumbnails_are_webp_files_of_the_stored_size(library_image):
    refresh_thumbnails("images.LibraryImage", library_image.pk, "file")
    library_image = reloaded(library_image)
    from PIL import Image

    name = expected_thumbnail_names(library_image.file.name, LIBRARY_ALIASES)["teaser"]
    with default_storage.open(name) as stored, Image.open(stored) as image:
        assert image.format == "WEBP"
        assert image.size == (480, 270)


def test_optimization_shrinks_every_thumbnail_against_the_unoptimized_output(library_image):
    generated = generate_thumbnails(library_image.file.name, LIBRARY_ALIASES)
    assert generated.optimized_bytes < generated.unoptimized_bytes
    assert generated.saved_fraction > 0.1


def test_generation_is_idempotent_and_skips_current_thumbnails(library_image, s3_requests):
    refresh_thumbnails("images.LibraryImage", library_image.pk, "file")
    library_image = reloaded(library_image)
    first = library_image.thumbnails
    s3_requests.clear()

    assert refresh_thumbnails("images.LibraryImage", library_image.pk, "file") is None
    assert s3_requests == []
    regenerated = refresh_thumbnails("images.LibraryImage", library_image.pk, "file", force=True)
    assert regenerated.thumbnails == first
    # Overwritten in place: the source read once (HEAD, GET), one PUT per alias, no renamed copies.
    methods = sorted(request.split()[0] for request in s3_requests)
    assert methods == ["GET", "HEAD"] + ["PUT"] * len(LIBRARY_ALIASES)


def test_task_for_a_deleted_row_does_nothing(library_image):
    pk = library_image.pk
    library_image.delete()
    assert refresh_thumbnails("images.LibraryImage", pk, "file") is None


def test_thumbnails_of_a_replaced_image_are_not_stored_on_the_row(library_image, image_upload):
    """A task that finishes after the editor uploaded another image must not store the old thumbnails."""
    old_name = library_image.file.name
    generated = generate_thumbnails(old_name, LIBRARY_ALIASES)
    LibraryImage.objects.filter(pk=library_image.pk).update(file="library/another.jpg")
    LibraryImage.objects.filter(pk=library_image.pk, file=old_name).update(thumbnails=generated.thumbnails)
    assert reloaded(library_image).thumbnails == {}


RENDER_TEMPLATE = Template(
    "{% load thumbnails %}{% for image in images %}"
    '{% thumbnail_img image "file" "teaser" alt=image.alt_text %}'
    '<meta content="{% thumbnail_url image "file" "social" %}">{% endfor %}'
)


def test_warm_render_makes_no_storage_request_and_no_query(
    library_image, s3_requests, django_assert_num_queries
):
    refresh_thumbnails("images.LibraryImage", library_image.pk, "file")
    images = list(LibraryImage.objects.all())
    s3_requests.clear()

    with django_assert_num_queries(0):
        html = RENDER_TEMPLATE.render(Context({"images": images}))

    assert s3_requests == []
    teaser, teaser_2x = images[0].thumbnails["teaser"], images[0].thumbnails["teaser_2x"]
    assert (
        f'<img src="{teaser["url"]}" srcset="{teaser["url"]} 1x, {teaser_2x["url"]} 2x" width="480" '
        f'height="270" alt="The harbour at dawn" loading="lazy" decoding="async">'
    ) in html
    assert f'<meta content="{images[0].thumbnails["social"]["url"]}">' in html


def test_missing_thumbnail_is_generated_on_the_fly_never_broken(library_image, s3_requests, bucket_keys):
    assert library_image.thumbnails == {}

    html = RENDER_TEMPLATE.render(Context({"images": [library_image]}))

    names = expected_thumbnail_names(library_image.file.name, LIBRARY_ALIASES)
    assert {names["teaser"], names["teaser_2x"], names["social"]} <= bucket_keys(library_image.file.name)
    assert f"/{names['teaser']} 1x, " in html
    assert 'width="480" height="270"' in html
    assert any(request.startswith("PUT ") for request in s3_requests)


def test_fallback_finds_a_pregenerated_thumbnail_without_generating_again(library_image, s3_requests):
    """The task records its thumbnails in easy-thumbnails' tables, so the fallback never regenerates them."""
    refresh_thumbnails("images.LibraryImage", library_image.pk, "file")
    s3_requests.clear()
    thumbnail = get_thumbnailer(library_image.file).get_thumbnail(LIBRARY_ALIASES["teaser"], generate=False)
    assert thumbnail is not None
    assert (thumbnail.width, thumbnail.height) == (480, 270)
    assert s3_requests == []


def test_empty_image_field_renders_nothing(db):
    image = LibraryImage(alt_text="Nothing yet")
    assert RENDER_TEMPLATE.render(Context({"images": [image]})) == '<meta content="">'


def test_stored_urls_are_public_and_stable_on_the_s3_endpoint(library_image):
    """Unsigned URLs: what a reader's browser (or a CDN) fetches, the same on every render."""
    refresh_thumbnails("images.LibraryImage", library_image.pk, "file")
    teaser_url = reloaded(library_image).thumbnails["teaser"]["url"]

    with urllib.request.urlopen(teaser_url, timeout=5) as response:  # noqa: S310 - the local S3 endpoint
        body = response.read()

    assert "?" not in teaser_url
    assert body[:4] == b"RIFF"
    assert body[8:12] == b"WEBP"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.django_db
def test_image_no_alias_can_be_made_of_falls_back_to_the_original(image_upload):
    """A strip stored before the aspect-ratio limit: the tag answers the original, never an error."""
    from django.core.files.base import ContentFile

    from tests.support.photos import photo_bytes

    strip_bytes = photo_bytes((20000, 5), "PNG")
    name = default_storage.save("library/2026/12/strip-test/strip.png", ContentFile(strip_bytes))
    strip = LibraryImage(file=name, width=20000, height=5, thumbnails={})
    tag = Template('{% load thumbnails %}{% thumbnail_img image "file" "detail" %}')
    html = tag.render(Context({"image": strip}))
    assert f'src="{default_storage.url(name)}"' in html
