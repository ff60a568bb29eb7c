from django.db import models

from .uploads import UnguessableUploadTo
from .validators import validate_image_upload


class LibraryImage(models.Model):
    """An image editors upload once and reuse, with its alt text and credit."""

    file = models.ImageField(
        upload_to=UnguessableUploadTo("library/"),
        max_length=255,
        width_field="width",
        height_field="height",
        validators=[validate_image_upload],
    )
    alt_text = models.CharField(
        max_length=250, help_text="What the image shows, for readers who cannot see it."
    )
    credit = models.CharField(max_length=200, blank=True)
    # Filled from the upload itself at save, so reading them never opens the file.
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    # Filled by the thumbnail task: {alias: {"url", "width", "height"}}.
    thumbnails = models.JSONField(default=dict, blank=True, editable=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return self.alt_text
