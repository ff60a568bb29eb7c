"""Camera metadata off every stored original: EXIF (GPS position, camera and
its serial number, time), XMP and comments.

A photographer's picture can say where it was taken, to the metre, and a
source's address is not something a newsroom publishes by accident. The
storage strips it on write (MediaStorage with strip_metadata=True), so every
path that stores an original (the admin, the image library, the demo data)
goes through it, and thumbnails are made from the stripped original.

The EXIF orientation is applied to the pixels first, so a photo taken with
the phone on its side still stands up; the colour profile is kept. A JPEG
that needs no turning is saved with its own quantization tables
(quality="keep"), so stripping costs no visible quality. Animated images and
GIFs (which carry no camera EXIF) are stored as uploaded.
"""

import io

from django.core.files.base import ContentFile
from PIL import ExifTags, Image, UnidentifiedImageError

STRIPPED_FORMATS = {"JPEG", "PNG", "WEBP"}
# What Pillow reads into image.info that describes the picture's origin, not its pixels.
METADATA_KEYS = {"exif", "xmp", "XML:com.adobe.xmp", "comment", "Raw profile type exif", "Comment"}


def without_metadata(content):
    """The image in `content` without its metadata, as a new ContentFile of
    the same format; None when there is nothing to strip (stored as is)."""
    content.seek(0)
    try:
        with Image.open(content) as image:
            if image.format not in STRIPPED_FORMATS or getattr(image, "is_animated", False):
                return None
            if not _has_metadata(image):
                return None
            return ContentFile(_encoded_without_metadata(image), name=getattr(content, "name", None))
    except (UnidentifiedImageError, OSError, ValueError):
        # Not an image Pillow can read: validation refuses those before storage.
        return None
    finally:
        content.seek(0)


def _has_metadata(image):
    # A PNG's text chunks (any key: "Author", "Location") are read by `text`.
    return bool(METADATA_KEYS & set(image.info) or image.getexif() or getattr(image, "text", None))


def _encoded_without_metadata(image):
    image_format = image.format
    options = {}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    if orientation != 1:
        image = _upright(image, orientation)
    if image_format == "JPEG":
        # A JPEG still as decoded keeps its own quality; a turned one is encoded afresh.
        options.update({"quality": "keep", "subsampling": "keep"} if orientation == 1 else {"quality": 92})
        options["comment"] = b""
    elif image_format == "WEBP":
        options["quality"] = 92
    output = io.BytesIO()
    image.save(output, format=image_format, **options)
    return output.getvalue()


def _upright(image, orientation):
    """The pixels turned as the EXIF orientation says (ImageOps.exif_transpose
    would copy the remaining EXIF onto the result)."""
    transpose = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    upright = image.transpose(transpose) if transpose is not None else image.copy()
    upright.info = {}
    return upright
