from django.contrib import admin
from django.utils.html import format_html

from .forms import ImageUploadModelForm
from .models import LibraryImage
from .thumbnails import stored_thumbnail


class ImageUploadAdminMixin:
    """Add to any ModelAdmin with image fields (PostAdmin, AuthorAdmin): uploads
    are validated by content and refused clearly while the storage is down.
    An admin with its own form subclasses ImageUploadFormMixin instead."""

    form = ImageUploadModelForm


@admin.register(LibraryImage)
class LibraryImageAdmin(ImageUploadAdminMixin, admin.ModelAdmin):
    list_display = ["preview", "alt_text", "credit", "width", "height", "uploaded_at"]
    search_fields = ["alt_text", "credit"]
    readonly_fields = ["preview", "width", "height", "uploaded_at"]
    fields = ["file", "preview", "alt_text", "credit", "width", "height", "uploaded_at"]
    date_hierarchy = "uploaded_at"

    @admin.display(description="Preview")
    def preview(self, library_image):
        # From the stored thumbnail URLs: a change list of 100 images costs no storage request.
        thumbnail = stored_thumbnail(library_image, "file", "teaser") if library_image.pk else None
        if thumbnail is None:
            return "-"
        return format_html('<img src="{}" alt="" height="68">', thumbnail["url"])
