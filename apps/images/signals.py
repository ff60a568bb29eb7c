"""Queue thumbnail generation when a registered image field gets a new file.

Connected in ImagesConfig.ready() for every model in IMAGES_THUMBNAIL_FIELDS.
The task is queued with transaction.on_commit (like Celery's delay_on_commit): a worker
never looks for a row, or a file, that has not committed yet.
"""

from django.db import transaction
from django.db.models.signals import post_init, post_save

from .registry import thumbnail_fields

IMAGE_NAMES_ATTRIBUTE = "_images_loaded_names"
NOT_LOADED = object()
# {model: [ThumbnailField, ...]}, filled once by connect_thumbnail_signals().
thumbnail_fields_by_model = {}


def _image_name(instance, image_field):
    """The field's file name without touching storage or loading a deferred column."""
    value = instance.__dict__.get(image_field, NOT_LOADED)
    if value is NOT_LOADED or value is None:
        return value if value is NOT_LOADED else ""
    return value if isinstance(value, str) else (value.name or "")


def remember_image_names(sender, instance, **kwargs):
    image_fields = [registered.image_field for registered in thumbnail_fields_by_model[sender]]
    instance.__dict__[IMAGE_NAMES_ATTRIBUTE] = {name: _image_name(instance, name) for name in image_fields}


def queue_thumbnails_for_new_images(sender, instance, created, raw, **kwargs):
    if raw:
        return
    loaded_names = instance.__dict__.setdefault(IMAGE_NAMES_ATTRIBUTE, {})
    for registered in thumbnail_fields_by_model[sender]:
        loaded_name = loaded_names.get(registered.image_field, NOT_LOADED)
        current_name = _image_name(instance, registered.image_field)
        if current_name is NOT_LOADED or (loaded_name is NOT_LOADED and not created):
            continue
        if current_name == loaded_name:
            continue
        loaded_names[registered.image_field] = current_name
        if getattr(instance, registered.thumbnails_field):
            # The old image's thumbnails must not stand in for the new one; until
            # the task runs, the template tag makes them on the fly.
            setattr(instance, registered.thumbnails_field, {})
            sender._default_manager.filter(pk=instance.pk).update(**{registered.thumbnails_field: {}})
        if current_name:
            # Celery's delay_on_commit, made robust: a dead broker costs the
            # pre-generation (the tag's fallback and regenerate_thumbnails cover
            # it), never the editor's save.
            transaction.on_commit(
                sender_of_generate_thumbnails(sender._meta.label, instance.pk, registered.image_field),
                robust=True,
            )


def sender_of_generate_thumbnails(model_label, pk, image_field):
    """The on_commit callback: primary keys only, never the row."""

    def send_generate_thumbnails():
        # Imported here: Celery loads in the processes that queue, on the first upload.
        from .tasks import generate_thumbnails

        generate_thumbnails.delay(model_label, pk, image_field)

    return send_generate_thumbnails


def connect_thumbnail_signals():
    for registered in thumbnail_fields():
        thumbnail_fields_by_model.setdefault(registered.model, []).append(registered)
    for model in thumbnail_fields_by_model:
        label = model._meta.label
        post_init.connect(remember_image_names, sender=model, dispatch_uid=f"images-names-{label}")
        post_save.connect(queue_thumbnails_for_new_images, sender=model, dispatch_uid=f"images-queue-{label}")
