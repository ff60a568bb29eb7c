from django.core.management.base import BaseCommand, CommandError

from apps.images.registry import thumbnail_fields
from apps.images.tasks import regenerate_thumbnails


class Command(BaseCommand):
    help = "Queue thumbnail (re)generation for every stored image, on the low-priority queue."

    def add_arguments(self, parser):
        parser.add_argument("--model", help='Only this model, e.g. "blog.Post".')
        parser.add_argument(
            "--force", action="store_true", help="Regenerate even thumbnails that are already current."
        )
        parser.add_argument("--batch-size", type=int, default=500, help="Primary keys read per query.")

    def handle(self, *args, model=None, force=False, batch_size=500, **options):
        registered_fields = [field for field in thumbnail_fields() if model in (None, field.model_label)]
        if not registered_fields:
            raise CommandError(f"{model} has no image fields in IMAGES_THUMBNAIL_FIELDS.")
        queued = 0
        for registered in registered_fields:
            rows_with_images = (
                registered.model._default_manager.exclude(**{registered.image_field: ""})
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            # Primary keys only, in batches: the queue carries ids, never rows.
            for pk in rows_with_images.iterator(chunk_size=batch_size):
                regenerate_thumbnails.delay(registered.model_label, pk, registered.image_field, force=force)
                queued += 1
        self.stdout.write(f"Queued {queued} thumbnail tasks on the low queue.")
