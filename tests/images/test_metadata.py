"""Originals are stored without the camera's metadata (EXIF with the GPS
position, XMP, comments, PNG text), upright and with their colour profile,
in the real S3 bucket; thumbnails made from them carry none either."""

import io

import pytest
from django.conf import settings
from django.core.files.storage import default_storage, storages
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from apps.images.models import LibraryImage
from apps.images.thumbnails import expected_thumbnail_names, refresh_thumbnails
from tests.support.photos import photo_bytes

pytestmark = pytest.mark.django_db

HARBOUR_GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.5),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
}


def camera_exif(orientation=1):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Harbour Cameras"
    exif[ExifTags.Base.BodySerialNumber] = "SN-0042"
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(HARBOUR_GPS)
    return exif


def with_camera_metadata(image_format="JPEG", size=(640, 400), orientation=1, icc_profile=None):
    image = Image.open(io.BytesIO(photo_bytes(size, image_format)))
    output = io.BytesIO()
    options = {"exif": camera_exif(orientation)}
    if image_format == "JPEG":
        options.update(comment=b"shot at the harbour master's house", quality=92)
    if icc_profile:
        options["icc_profile"] = icc_profile
    image.save(output, format=image_format, **options)
    return output.getvalue()


def stored_image(name):
    with default_storage.open(name) as stored:
        data = stored.read()
    image = Image.open(io.BytesIO(data))
    image.load()
    return image, data


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_stored_original_has_no_exif_gps_or_comment(image_upload, image_format):
    upload = image_upload(
        f"harbour.{image_format.lower()}",
        content=with_camera_metadata(image_format),
        image_format=image_format,
    )

    library_image = LibraryImage.objects.create(file=upload, alt_text="The harbour")

    image, data = stored_image(library_image.file.name)
    assert image.format == image_format
    assert image.size == (640, 400)
    assert not image.getexif()
    assert "comment" not in image.info
    assert b"Harbour Cameras" not in data
    assert b"SN-0042" not in data


def test_a_png_loses_its_text_chunks(image_upload):
    image = Image.open(io.BytesIO(photo_bytes((320, 200), "PNG")))
    text = PngInfo()
    text.add_text("Location", "51.5034 N, 0.1276 W")
    output = io.BytesIO()
    image.save(output, format="PNG", pnginfo=text)

    library_image = LibraryImage.objects.create(
        file=image_upload("map.png", content=output.getvalue(), image_format="PNG"), alt_text="A map"
    )

    stored, data = stored_image(library_image.file.name)
    assert not stored.text
    assert b"51.5034" not in data


def test_a_sideways_photo_is_stored_upright_without_its_orientation_tag(image_upload):
    # Orientation 6: the camera was turned; the viewer must rotate 90 degrees clockwise.
    upload = image_upload("portrait.jpg", content=with_camera_metadata(size=(640, 400), orientation=6))

    library_image = LibraryImage.objects.create(file=upload, alt_text="Harbour master")

    image, _ = stored_image(library_image.file.name)
    assert image.size == (400, 640)
    assert ExifTags.Base.Orientation not in image.getexif()


def test_the_colour_profile_is_kept(image_upload):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = image_upload("harbour.jpg", content=with_camera_metadata(icc_profile=profile))

    library_image = LibraryImage.objects.create(file=upload, alt_text="The harbour")

    image, _ = stored_image(library_image.file.name)
    assert image.info.get("icc_profile") == profile


def test_an_image_without_metadata_is_stored_byte_for_byte(image_upload):
    content = photo_bytes((640, 400), "JPEG")

    library_image = LibraryImage.objects.create(
        file=image_upload("plain.jpg", content=content), alt_text="Plain"
    )

    _, data = stored_image(library_image.file.name)
    assert data == content


def test_thumbnails_of_an_original_stored_before_stripping_carry_no_metadata(image_upload):
    """Originals uploaded before this change keep their EXIF; their thumbnails must not pass it on."""
    unstripped = storages.create_storage({"BACKEND": "apps.images.storage.MediaStorage"})
    name = unstripped.save("library/old/harbour.jpg", io.BytesIO(with_camera_metadata()))
    library_image = LibraryImage.objects.create(file=image_upload("placeholder.jpg"), alt_text="Old")
    LibraryImage.objects.filter(pk=library_image.pk).update(file=name)
    assert stored_image(name)[0].getexif()

    refresh_thumbnails("images.LibraryImage", library_image.pk, "file")

    aliases = settings.THUMBNAIL_ALIASES["images.LibraryImage.file"]
    for thumbnail_name in expected_thumbnail_names(name, aliases).values():
        image, data = stored_image(thumbnail_name)
        assert not image.getexif(), thumbnail_name
        assert b"Harbour Cameras" not in data
        assert b"harbour master" not in data
