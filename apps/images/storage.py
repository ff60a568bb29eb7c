from urllib.parse import unquote

from botocore.config import Config
from botocore.exceptions import ClientError
from PIL import Image, UnidentifiedImageError
from storages.backends.s3 import S3Storage

from .metadata import without_metadata
from .mirror import mirror_upload
from .storage_errors import STORAGE_ERRORS


def decoded_content_type(content):
    """The MIME type of the image format Pillow reads from the header, or None."""
    content.seek(0)
    try:
        with Image.open(content) as image:
            return Image.MIME.get(image.format)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    finally:
        content.seek(0)


class MediaStorage(S3Storage):
    """Uploads on S3 or any S3-compatible server, with stable public URLs.

    mirrored=True (the uploads' storage, not the thumbnails', which can be made
    again) copies each saved object into the mirror bucket (apps/images/mirror.py).
    strip_metadata=True (the uploads' storage too) stores each image without
    its EXIF, GPS position, XMP and comments (apps/images/metadata.py).
    An option, not a subclass: easy-thumbnails tells storages apart by class,
    and its records of thumbnails must match whichever storage looks them up."""

    def __init__(self, mirrored=False, strip_metadata=False, **settings):
        self.mirrored = mirrored
        self.strip_metadata = strip_metadata
        # client_config replaces django-storages' own addressing and signature
        # options, so path-style addressing and s3v4 are set here together.
        # boto3 1.36+ checksums every request by default; several S3-compatible
        # servers reject that, so checksums are sent only when S3 requires them.
        settings.setdefault(
            "client_config",
            Config(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        )
        super().__init__(**settings)

    def _save(self, name, content):
        if self.strip_metadata:
            content = without_metadata(content) or content
        decoded_type = decoded_content_type(content)
        if decoded_type:
            # What Pillow decodes, not what the file name or the browser claims.
            content.content_type = decoded_type
        saved_name = super()._save(name, content)
        if self.mirrored:
            mirror_upload(self, saved_name)
        return saved_name

    def name_from_url(self, url):
        """The object name behind one of this storage's public URLs, or None."""
        probe = "name"
        base_url = self.url(probe).removesuffix(probe)
        return unquote(url.removeprefix(base_url)) if url.startswith(base_url) else None

    def is_reachable(self):
        """One HEAD on the bucket: can an upload succeed right now?"""
        try:
            self.connection.meta.client.head_bucket(Bucket=self.bucket_name)
        except (*STORAGE_ERRORS, ClientError):
            return False
        return True
