"""The thumbnail sweep: images whose task was lost (broker down at save, worker
killed mid-task) are found and queued again by beat, once per claim."""

import datetime

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.utils import timezone

from apps.blog.models import Post
from apps.images import sweep
from apps.images.tasks import queue_missing_thumbnails
from project.celery import app as celery_app
from tests.support.queues import TASK_QUEUES, purge_task_queues
from tests.support.waiting import wait_for

GRACE_PASSED = datetime.timedelta(minutes=5)


def saved_ago(post, age):
    """Pretend the row was saved `age` ago, its task never run."""
    Post.objects.filter(pk=post.pk).update(hero_thumbnails={}, last_modified=timezone.now() - age)


@pytest.mark.django_db
def test_sweep_finds_only_images_left_without_thumbnails_past_the_grace_period(
    post_factory, image_upload, settings
):
    lost = post_factory(hero_image=image_upload("lost.jpg"))
    saved_ago(lost, GRACE_PASSED)
    just_saved = post_factory(hero_image=image_upload("fresh.jpg"))
    saved_ago(just_saved, datetime.timedelta(seconds=5))
    done = post_factory(hero_image=image_upload("done.jpg"))
    Post.objects.filter(pk=done.pk).update(
        hero_thumbnails={"teaser": {"url": "x"}}, last_modified=timezone.now() - GRACE_PASSED
    )
    without_image = post_factory()
    saved_ago(without_image, GRACE_PASSED)

    rows = sweep.rows_missing_thumbnails(timezone.now() - datetime.timedelta(seconds=60))

    assert ("blog.Post", lost.pk, "hero_image") in rows
    assert {pk for label, pk, field in rows if label == "blog.Post"} == {lost.pk}


@pytest.mark.django_db
def test_a_row_is_claimed_once_per_requeue_period(post_factory, image_upload):
    lost = post_factory(hero_image=image_upload("lost.jpg"))
    saved_ago(lost, GRACE_PASSED)

    assert sweep.claim_rows_missing_thumbnails(timezone.now()) == [("blog.Post", lost.pk, "hero_image")]
    assert sweep.claim_rows_missing_thumbnails(timezone.now()) == []


@pytest.mark.django_db
def test_sweep_query_on_posts_can_use_its_partial_index(post_factory):
    """The sweep runs every 30 s: at a million posts it must not scan the table."""
    query = (
        Post.objects.exclude(hero_image="")
        .filter(hero_thumbnails={}, last_modified__lt=timezone.now())
        .order_by("last_modified")
        .values_list("pk", flat=True)[:200]
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "post_hero_unthumbnailed_idx" in plan


def test_beat_sweep_task_queues_the_lost_image_and_the_worker_makes_its_thumbnails(
    transactional_db, post_factory, image_upload
):
    lost = post_factory(hero_image=image_upload("lost.jpg"))
    # Its on-commit task is dropped before any worker runs, as if the broker
    # had been down at the save.
    purge_task_queues()
    saved_ago(lost, GRACE_PASSED)

    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=list(TASK_QUEUES)):
        queue_missing_thumbnails.delay()
        thumbnails = wait_for(lambda: Post.objects.values_list("hero_thumbnails", flat=True).get(pk=lost.pk))
    assert set(thumbnails) == {"teaser", "teaser_2x", "detail", "detail_2x", "social"}
