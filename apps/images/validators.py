"""Upload validation: an upload is checked by its content, before anything is stored.

Runs in form cleaning (model field validators and ImageUploadFormMixin), which
comes before the model's save uploads the file, so a refused file never
reaches the bucket.
"""

import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, UnidentifiedImageError


def validate_image_upload(upload):
    """Refuse anything but a real, reasonably sized JPEG, PNG, WebP or GIF."""
    if getattr(upload, "_committed", False):
        # Already in storage (an unchanged field on re-save): validated when uploaded.
        return
    if upload.size > settings.IMAGES_MAX_UPLOAD_BYTES:
        raise ValidationError(
            "This image is %(size)s; the largest upload allowed is %(limit)s.",
            code="image_too_large",
            params={
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.IMAGES_MAX_UPLOAD_BYTES),
            },
        )
    allowed_formats = settings.IMAGES_ALLOWED_FORMATS
    position = upload.tell()
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its two bomb limits; here any bomb is an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Image.open reads the header only: the pixel count is known before
            # a single pixel is decompressed.
            with Image.open(upload, formats=allowed_formats) as image:
                width, height = image.size
                if width * height > settings.IMAGES_MAX_PIXELS:
                    raise _too_many_pixels(width, height)
                if max(width, height) > settings.IMAGES_MAX_ASPECT_RATIO * max(min(width, height), 1):
                    raise _too_narrow(width, height)
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            "This file is not an image of an allowed type (%(formats)s), whatever its name says.",
            code="not_an_allowed_image",
            params={"formats": ", ".join(allowed_formats)},
        ) from None
    finally:
        upload.seek(position)


def _too_narrow(width, height):
    # A 20000 x 5 strip has a thumbnail side of zero pixels: no alias can be made of it.
    return ValidationError(
        "This image is %(width)d x %(height)d pixels; its long side may be at most"
        " %(limit)g times its short side.",
        code="image_extreme_aspect_ratio",
        params={"width": width, "height": height, "limit": settings.IMAGES_MAX_ASPECT_RATIO},
    )


def _too_many_pixels(width=None, height=None):
    limit = f"{settings.IMAGES_MAX_PIXELS / 1_000_000:g} megapixels"
    if width is None:
        return ValidationError(
            "This image has far too many pixels (a decompression bomb); the limit is %(limit)s.",
            code="image_too_many_pixels",
            params={"limit": limit},
        )
    return ValidationError(
        "This image is %(width)d x %(height)d pixels; the limit is %(limit)s.",
        code="image_too_many_pixels",
        params={"width": width, "height": height, "limit": limit},
    )
