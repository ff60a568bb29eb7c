"""Which image fields get thumbnails, read from settings.IMAGES_THUMBNAIL_FIELDS.

apps.images never imports the models it serves (blog imports images, not the
other way round): models are looked up by label through the app registry.
"""

from typing import NamedTuple

from django.apps import apps
from django.conf import settings
from easy_thumbnails.alias import aliases


class ThumbnailField(NamedTuple):
    model: type
    image_field: str
    thumbnails_field: str

    @property
    def model_label(self):
        return self.model._meta.label

    @property
    def alias_target(self):
        """easy-thumbnails' alias target, e.g. "blog.Post.hero_image"."""
        return f"{self.model_label}.{self.image_field}"

    @property
    def aliases(self):
        """{alias: easy-thumbnails options} defined in settings for this field."""
        return aliases.all(self.alias_target, include_global=False)

    @property
    def upload_prefix(self):
        """The fixed start of upload_to ("posts/" for "posts/%Y/%m/" or
        UnguessableUploadTo("posts/")), or None if it has none."""
        upload_to = self.model._meta.get_field(self.image_field).upload_to
        if isinstance(upload_to, str):
            return upload_to.split("%", 1)[0]
        return getattr(upload_to, "prefix", None)


def thumbnail_fields():
    for model_label, fields in settings.IMAGES_THUMBNAIL_FIELDS.items():
        model = apps.get_model(model_label)
        for image_field, thumbnails_field in fields.items():
            yield ThumbnailField(model, image_field, thumbnails_field)


def thumbnail_field(model_label, image_field):
    """The registered field; KeyError names what is missing from the setting."""
    thumbnails_field = settings.IMAGES_THUMBNAIL_FIELDS[model_label][image_field]
    return ThumbnailField(apps.get_model(model_label), image_field, thumbnails_field)
