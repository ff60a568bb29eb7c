"""Thumbnails are queued after commit, with primary keys only, and only when the file changed."""

import pytest
from django.db import transaction

from apps.blog.models import Author, Post
from apps.images.models import LibraryImage
from apps.images.tasks import generate_thumbnails

pytestmark = pytest.mark.django_db


def queued_task_calls(callbacks):
    """(task name, args) of every delay_on_commit among the captured on_commit callbacks."""
    calls = []
    for callback in callbacks:
        # delay_on_commit registers functools.partial(task.delay, *args).
        task = callback.func.__self__
        calls.append((task.name, callback.args))
    return calls


def test_new_upload_queues_the_high_priority_task_on_commit_with_primary_keys_only(
    image_upload, django_capture_on_commit_callbacks, post_factory
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = post_factory(hero_image=image_upload("harbour.jpg"))

    assert queued_task_calls(callbacks) == [(generate_thumbnails.name, ("blog.Post", post.pk, "hero_image"))]
    assert generate_thumbnails.name == "apps.images.tasks.generate_thumbnails"


def test_saving_without_changing_the_file_queues_nothing(
    image_upload, django_capture_on_commit_callbacks, author_factory
):
    with django_capture_on_commit_callbacks(execute=False):
        author = author_factory(avatar=image_upload("face.jpg", size=(300, 300)))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        author.bio = "Now covers the courts."
        author.save()
        Author.objects.get(pk=author.pk).save()

    assert callbacks == []


def test_replacing_the_file_clears_old_thumbnails_and_queues_again(
    image_upload, django_capture_on_commit_callbacks, post_factory
):
    with django_capture_on_commit_callbacks(execute=False):
        post = post_factory(hero_image=image_upload("first.jpg"))
    Post.objects.filter(pk=post.pk).update(
        hero_thumbnails={"teaser": {"url": "old", "width": 1, "height": 1}}
    )

    post = Post.objects.get(pk=post.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post.hero_image = image_upload("second.jpg")
        post.save()

    assert queued_task_calls(callbacks) == [(generate_thumbnails.name, ("blog.Post", post.pk, "hero_image"))]
    assert Post.objects.values_list("hero_thumbnails", flat=True).get(pk=post.pk) == {}


def test_removing_the_file_clears_thumbnails_and_queues_nothing(
    image_upload, django_capture_on_commit_callbacks, post_factory
):
    with django_capture_on_commit_callbacks(execute=False):
        post = post_factory(hero_image=image_upload("first.jpg"))
    Post.objects.filter(pk=post.pk).update(
        hero_thumbnails={"teaser": {"url": "old", "width": 1, "height": 1}}
    )

    post = Post.objects.get(pk=post.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post.hero_image = ""
        post.save()

    assert callbacks == []
    assert Post.objects.values_list("hero_thumbnails", flat=True).get(pk=post.pk) == {}


def test_rolled_back_save_queues_nothing(image_upload, django_capture_on_commit_callbacks):
    def save_then_fail():
        with transaction.atomic():
            LibraryImage.objects.create(file=image_upload(), alt_text="Rolled back")
            raise RuntimeError("the editor's save failed later in the transaction")

    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(RuntimeError):
        save_then_fail()

    assert callbacks == []


def test_loading_rows_with_deferred_images_touches_neither_storage_nor_database(
    image_upload, django_capture_on_commit_callbacks, post_factory, django_assert_num_queries
):
    with django_capture_on_commit_callbacks(execute=False):
        post_factory(hero_image=image_upload())
    with django_assert_num_queries(1):
        post = Post.objects.defer("hero_image").get()
    with django_capture_on_commit_callbacks(execute=False) as callbacks, django_assert_num_queries(1):
        post.save()
    assert callbacks == []
