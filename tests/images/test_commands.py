"""manage.py regenerate_thumbnails: a backfill on the low queue, through a real worker."""

import pytest
from django.core.management import CommandError, call_command

from apps.images.models import LibraryImage
from tests.support.waiting import wait_for


def test_regenerate_thumbnails_queues_low_priority_tasks_that_a_worker_completes(
    celery_worker_thread, image_upload, capsys
):
    library_images = [
        LibraryImage.objects.create(
            file=image_upload(f"backfill-{number}.jpg"), alt_text=f"Backfill {number}"
        )
        for number in range(2)
    ]
    # The pre-upgrade state a backfill exists for: images without stored thumbnails.
    LibraryImage.objects.update(thumbnails={})

    call_command("regenerate_thumbnails", "--model", "images.LibraryImage", "--batch-size", "1")

    assert "Queued 2 thumbnail tasks on the low queue." in capsys.readouterr().out
    for library_image in library_images:
        assert wait_for(lambda pk=library_image.pk: LibraryImage.objects.get(pk=pk).thumbnails)


@pytest.mark.django_db
def test_regenerate_thumbnails_names_an_unknown_model():
    with pytest.raises(CommandError, match=r"blog\.Category has no image fields"):
        call_command("regenerate_thumbnails", "--model", "blog.Category")
