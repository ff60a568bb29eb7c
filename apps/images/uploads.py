"""Where uploads are stored: under names nobody can guess.

Media URLs are public and unsigned (signed ones would defeat every cache), so
a name is the only thing between an unpublished story's images and the
public. Each upload gets a 128-bit random folder: posts/2026/12/<secret>/
merger.jpg cannot be found by trying likely file names, and the thumbnails,
named after their source, share the secret. This holds only while the bucket
refuses anonymous listing (docs/security.md).
"""

import secrets

from django.utils import timezone
from django.utils.deconstruct import deconstructible


@deconstructible
class UnguessableUploadTo:
    """upload_to: "<prefix><year>/<month>/<random>/<file name>"."""

    def __init__(self, prefix):
        # The fixed start of every name: the unreferenced-images cleanup lists it.
        self.prefix = prefix

    def __call__(self, instance, filename):
        return f"{self.prefix}{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}/{filename}"

    def __eq__(self, other):
        return isinstance(other, UnguessableUploadTo) and other.prefix == self.prefix

    def __hash__(self):
        return hash(self.prefix)
