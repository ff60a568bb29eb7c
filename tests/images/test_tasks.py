"""The thumbnail tasks through a real Celery worker and the real Redis broker, and with S3 down."""

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_retry
from django import forms
from django.conf import settings

from apps.blog.models import Post
from apps.images.forms import STORAGE_DOWN_MESSAGE, ImageUploadFormMixin
from apps.images.models import LibraryImage
from apps.images.storage_errors import StorageServerError
from apps.images.tasks import (
    generate_thumbnails,
    queue_missing_thumbnails,
    regenerate_thumbnails,
    remove_unreferenced_images,
)
from project.celery import app as celery_app
from tests.support.queues import purge_task_queues
from tests.support.waiting import wait_for


def stored_thumbnails(model, pk, field_name):
    return model.objects.values_list(field_name, flat=True).get(pk=pk)


def test_editors_thumbnails_reach_the_high_queue_and_backfills_and_housekeeping_the_low_one(
    broker_messages,
):
    """Queued as the code queues them, read back from the real broker's queues."""
    generate_thumbnails.delay("blog.Post", 7, "hero_image")
    queue_missing_thumbnails.delay()
    regenerate_thumbnails.delay("blog.Post", 7, "hero_image", True)
    remove_unreferenced_images.delay()

    assert broker_messages() == {
        "high": [
            (generate_thumbnails.name, ("blog.Post", 7, "hero_image")),
            (queue_missing_thumbnails.name, ()),
        ],
        "low": [
            (regenerate_thumbnails.name, ("blog.Post", 7, "hero_image", True)),
            (remove_unreferenced_images.name, ()),
        ],
    }


def test_thumbnail_tasks_ack_late_retry_with_backoff_and_are_time_limited():
    for name in ("apps.images.tasks.generate_thumbnails", "apps.images.tasks.regenerate_thumbnails"):
        task = celery_app.tasks[name]
        assert task.acks_late
        assert task.retry_backoff
        assert task.retry_jitter
        assert task.soft_time_limit < task.time_limit


def test_worker_fills_thumbnails_after_the_upload_commits(celery_worker_thread, image_upload, post_factory):
    post = post_factory(hero_image=image_upload("harbour.jpg"))

    thumbnails = wait_for(lambda: stored_thumbnails(Post, post.pk, "hero_thumbnails"))

    assert set(thumbnails) == {"teaser", "teaser_2x", "detail", "detail_2x", "social"}


class PostHeroForm(ImageUploadFormMixin, forms.ModelForm):
    class Meta:
        model = Post
        fields = ["title", "hero_image", "hero_image_alt"]


@pytest.mark.services
def test_with_s3_down_the_editor_gets_a_clear_error_and_can_still_save_the_post(
    throwaway_s3, image_upload, post_factory, bucket_keys, transactional_db
):
    post = post_factory(title="Council vote")
    throwaway_s3.stop()

    with_image = PostHeroForm(
        {"title": "Council vote, updated"}, {"hero_image": image_upload()}, instance=post
    )
    assert not with_image.is_valid()
    assert with_image.errors["hero_image"] == [STORAGE_DOWN_MESSAGE]

    without_image = PostHeroForm({"title": "Council vote, updated"}, instance=post)
    assert without_image.is_valid()
    without_image.save()
    assert Post.objects.values_list("title", "hero_image").get(pk=post.pk) == ("Council vote, updated", "")

    throwaway_s3.start()
    assert bucket_keys("posts/") == set(), "nothing half-stored"


@pytest.mark.services
def test_with_s3_down_the_thumbnail_task_retries_and_succeeds_when_s3_returns(
    throwaway_s3, image_upload, transactional_db
):
    retries = []

    def count_retry(request, reason, **kwargs):
        retries.append(reason)

    task_retry.connect(count_retry, weak=False, dispatch_uid="count-retries")
    purge_task_queues()
    try:
        # Stored while S3 is up; the task is queued on commit, then S3 goes away.
        library_image = LibraryImage.objects.create(file=image_upload(), alt_text="Storm over the pier")
        throwaway_s3.stop()
        with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=["high", "low"]):
            assert wait_for(lambda: len(retries) >= 2), "the task retried with backoff while S3 was down"
            assert stored_thumbnails(LibraryImage, library_image.pk, "thumbnails") == {}

            throwaway_s3.start()
            thumbnails = wait_for(lambda: stored_thumbnails(LibraryImage, library_image.pk, "thumbnails"), 40)
    finally:
        task_retry.disconnect(dispatch_uid="count-retries")

    assert set(thumbnails) == set(settings.THUMBNAIL_ALIASES["images.LibraryImage.file"])


@pytest.mark.services
def test_when_s3_answers_500_the_thumbnail_task_retries_and_succeeds_once_it_answers_again(
    s3_proxy, image_upload, transactional_db
):
    retries = []

    def count_retry(request, reason, **kwargs):
        retries.append(reason)

    task_retry.connect(count_retry, weak=False, dispatch_uid="count-server-error-retries")
    purge_task_queues()
    try:
        library_image = LibraryImage.objects.create(file=image_upload(), alt_text="Harbour at dawn")
        s3_proxy.failure = (500, "InternalError")
        with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=["high", "low"]):
            assert wait_for(lambda: len(retries) >= 2), "a 5xx answer is retried, not given up"
            assert stored_thumbnails(LibraryImage, library_image.pk, "thumbnails") == {}

            s3_proxy.failure = None
            thumbnails = wait_for(lambda: stored_thumbnails(LibraryImage, library_image.pk, "thumbnails"), 40)
    finally:
        task_retry.disconnect(dispatch_uid="count-server-error-retries")

    assert set(thumbnails) == set(settings.THUMBNAIL_ALIASES["images.LibraryImage.file"])
    assert all(isinstance(retry.exc, StorageServerError) for retry in retries)
