"""Upload validation: by content, with limits from settings; a refused file never reaches the bucket."""

import struct
import zlib

import pytest
from django.core.exceptions import ValidationError

from apps.images.forms import ImageUploadModelForm
from apps.images.models import LibraryImage
from apps.images.validators import validate_image_upload


def png_header_only(width, height):
    """A valid PNG signature and header claiming width x height: a decompression bomb's shape."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


class LibraryImageForm(ImageUploadModelForm):
    class Meta:
        model = LibraryImage
        fields = ["file", "alt_text", "credit"]


def test_real_images_of_every_allowed_format_pass(image_upload):
    for image_format, name in [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp"), ("GIF", "a.gif")]:
        upload = image_upload(name, size=(64, 48), image_format=image_format)
        validate_image_upload(upload)
        assert upload.tell() == 0, "the upload must be rewound for storage"


def test_text_named_jpg_is_refused_by_content(image_upload):
    upload = image_upload("holiday.jpg", content=b"<?php echo 'not an image'; ?>" * 20)
    with pytest.raises(ValidationError, match="not an image of an allowed type") as refused:
        validate_image_upload(upload)
    assert refused.value.code == "not_an_allowed_image"


def test_real_image_of_a_format_outside_the_allowlist_is_refused(image_upload):
    upload = image_upload("scan.jpg", size=(64, 48), image_format="BMP")
    with pytest.raises(ValidationError, match=r"JPEG, PNG, WEBP, GIF"):
        validate_image_upload(upload)


def test_upload_over_the_byte_limit_is_refused(image_upload, settings):
    settings.IMAGES_MAX_UPLOAD_BYTES = 10_000
    upload = image_upload("big.jpg", size=(400, 300))
    with pytest.raises(ValidationError) as refused:
        validate_image_upload(upload)
    assert refused.value.code == "image_too_large"
    assert refused.value.messages[0].endswith("the largest upload allowed is 9.8\xa0KB.")


def test_too_many_pixels_is_refused_from_the_header(image_upload, settings):
    settings.IMAGES_MAX_PIXELS = 1_000_000
    upload = image_upload("wide.png", content=png_header_only(2000, 1000))
    with pytest.raises(ValidationError, match="2000 x 1000 pixels; the limit is 1 megapixels"):
        validate_image_upload(upload)


def test_decompression_bomb_is_refused_before_decoding(image_upload):
    """60000x60000 pixels claimed by a file of a few dozen bytes: Pillow's own bomb limit trips."""
    upload = image_upload("bomb.png", content=png_header_only(60_000, 60_000))
    with pytest.raises(ValidationError, match="decompression bomb") as refused:
        validate_image_upload(upload)
    assert refused.value.code == "image_too_many_pixels"


@pytest.mark.django_db
def test_refused_uploads_never_reach_the_bucket(image_upload, bucket_keys, settings):
    settings.IMAGES_MAX_UPLOAD_BYTES = 50_000
    before = bucket_keys("library/")
    refused_uploads = {
        "fake.jpg": image_upload("fake.jpg", content=b"GIF89a but not really" * 10),
        "huge.jpg": image_upload("huge.jpg", size=(1200, 900)),
        "bomb.png": image_upload("bomb.png", content=png_header_only(60_000, 60_000)),
    }
    for name, upload in refused_uploads.items():
        form = LibraryImageForm(data={"alt_text": "A harbour"}, files={"file": upload})
        assert not form.is_valid(), name
        assert form.errors["file"], name
    assert LibraryImage.objects.count() == 0
    assert bucket_keys("library/") == before


def test_extreme_aspect_ratio_is_refused_naming_the_limit(image_upload, settings):
    """A 20000 x 5 strip has thumbnail sides of zero pixels: refused before it is stored."""
    upload = image_upload("strip.png", size=(20000, 5), image_format="PNG")
    with pytest.raises(ValidationError) as refused:
        validate_image_upload(upload)
    assert refused.value.code == "image_extreme_aspect_ratio"
    limit = settings.IMAGES_MAX_ASPECT_RATIO
    assert refused.value.messages == [
        f"This image is 20000 x 5 pixels; its long side may be at most {limit} times its short side."
    ]


def test_aspect_ratio_at_the_limit_passes(image_upload, settings):
    limit = settings.IMAGES_MAX_ASPECT_RATIO
    validate_image_upload(image_upload("panorama.png", size=(40 * limit, 40), image_format="PNG"))


@pytest.mark.django_db
def test_stored_content_type_comes_from_the_decoded_format(image_upload):
    from django.core.files.storage import default_storage

    upload = image_upload("really-a-png.jpg", size=(64, 48), image_format="PNG")
    upload.content_type = "image/jpeg"  # what a browser says of a .jpg name
    name = default_storage.save("library/2026/12/content-type-test/really-a-png.jpg", upload)
    assert default_storage.bucket.Object(name).content_type == "image/png"
