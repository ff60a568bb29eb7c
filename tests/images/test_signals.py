"""Thumbnails are queued after commit, with primary keys only, and only when the file changed."""

import contextlib

import kombu.exceptions
import pytest
from django.db import transaction

from apps.blog.models import Author, Post
from apps.images.models import LibraryImage
from apps.images.tasks import generate_thumbnails
from project.celery import app as celery_app
from tests.support.servers import hung, redis_on_free_port, stop_if_running

pytestmark = pytest.mark.django_db


def test_new_upload_queues_the_high_priority_task_on_commit_with_primary_keys_only(
    image_upload, django_capture_on_commit_callbacks, post_factory, broker_messages
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = post_factory(hero_image=image_upload("harbour.jpg"))
    assert broker_messages() == {}, "nothing is sent before the transaction commits"

    for callback in callbacks:
        callback()

    assert broker_messages() == {
        "high": [("apps.images.tasks.generate_thumbnails", ("blog.Post", post.pk, "hero_image"))]
    }


def test_saving_without_changing_the_file_queues_nothing(
    image_upload, django_capture_on_commit_callbacks, author_factory, broker_messages
):
    with django_capture_on_commit_callbacks(execute=False):
        author = author_factory(avatar=image_upload("face.jpg", size=(300, 300)))

    with django_capture_on_commit_callbacks(execute=True):
        author.bio = "Now covers the courts."
        author.save()
        Author.objects.get(pk=author.pk).save()

    assert broker_messages() == {}


def test_replacing_the_file_clears_old_thumbnails_and_queues_again(
    image_upload, django_capture_on_commit_callbacks, post_factory, broker_messages
):
    with django_capture_on_commit_callbacks(execute=False):
        post = post_factory(hero_image=image_upload("first.jpg"))
    Post.objects.filter(pk=post.pk).update(
        hero_thumbnails={"teaser": {"url": "old", "width": 1, "height": 1}}
    )

    post = Post.objects.get(pk=post.pk)
    broker_messages()
    with django_capture_on_commit_callbacks(execute=True):
        post.hero_image = image_upload("second.jpg")
        post.save()

    assert broker_messages() == {"high": [(generate_thumbnails.name, ("blog.Post", post.pk, "hero_image"))]}
    assert Post.objects.values_list("hero_thumbnails", flat=True).get(pk=post.pk) == {}


def test_removing_the_file_clears_thumbnails_and_queues_nothing(
    image_upload, django_capture_on_commit_callbacks, post_factory, broker_messages
):
    with django_capture_on_commit_callbacks(execute=False):
        post = post_factory(hero_image=image_upload("first.jpg"))
    Post.objects.filter(pk=post.pk).update(
        hero_thumbnails={"teaser": {"url": "old", "width": 1, "height": 1}}
    )

    post = Post.objects.get(pk=post.pk)
    with django_capture_on_commit_callbacks(execute=True):
        post.hero_image = ""
        post.save()

    assert broker_messages() == {}
    assert Post.objects.values_list("hero_thumbnails", flat=True).get(pk=post.pk) == {}


def test_rolled_back_save_queues_nothing(image_upload, django_capture_on_commit_callbacks, broker_messages):
    def save_then_fail():
        with transaction.atomic():
            LibraryImage.objects.create(file=image_upload(), alt_text="Rolled back")
            raise RuntimeError("the editor's save failed later in the transaction")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        save_then_fail()

    assert broker_messages() == {}


def test_saving_a_row_loaded_without_its_image_touches_neither_storage_nor_queue(
    image_upload, django_capture_on_commit_callbacks, post_factory, broker_messages, s3_requests
):
    with django_capture_on_commit_callbacks(execute=False):
        post_factory(hero_image=image_upload())
    post = Post.objects.defer("hero_image").get()
    s3_requests.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post.save()
    assert s3_requests == []
    assert broker_messages() == {}


@contextlib.contextmanager
def broker_at(url):
    """The Celery app's producer pool pointed at `url` (the real client), then back."""
    live_url = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.broker_url = live_url
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


@pytest.fixture
def dead_broker(settings):
    """The Celery app's broker pointed at a port where nothing listens (the real client, failing)."""
    celery_app.conf.broker_connection_max_retries = 0
    with broker_at("redis://127.0.0.1:9/0"):
        yield
    celery_app.conf.broker_connection_max_retries = None


@pytest.fixture
def hung_broker(tmp_path):
    """A Redis broker of this test's own, stopped (SIGSTOP): it accepts connections, answers nothing."""
    broker = redis_on_free_port(tmp_path)
    broker.start()
    try:
        with broker_at(broker.url), hung(broker):
            yield broker
    finally:
        stop_if_running(broker)


def test_dead_broker_never_breaks_the_editors_save(
    image_upload, dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        library_image = LibraryImage.objects.create(file=image_upload(), alt_text="Saved anyway")

    assert len(callbacks) == 1
    assert LibraryImage.objects.filter(pk=library_image.pk).exists()


@pytest.mark.services
def test_hung_broker_costs_the_editors_save_a_bounded_wait_not_the_save(
    image_upload, hung_broker, django_capture_on_commit_callbacks, caplog
):
    """Only the broker's socket timeouts and the single publish retry stand
    between the editor and a broker that never answers (CELERY_BROKER_TRANSPORT_OPTIONS)."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        library_image = LibraryImage.objects.create(file=image_upload(), alt_text="Saved anyway")

    assert len(callbacks) == 1
    assert LibraryImage.objects.filter(pk=library_image.pk).exists()
    failures = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert [type(failure) for failure in failures] == [kombu.exceptions.OperationalError]
    assert "Timeout" in str(failures[0])
