"""The blog's scheduled work: each periodic task called directly, and its beat entry checked."""

import datetime
import itertools

import pytest
from celery.beat import ScheduleEntry
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from apps.blog import popularity, tasks
from apps.blog.models import Post
from apps.blog.popularity import count_post_view, most_read_posts, remember_post
from apps.caching.list_version import list_version
from project.celery import app as celery_app

pytestmark = pytest.mark.django_db


def beat_entry(name, last_run_at):
    """A beat schedule entry as beat builds it, with the tasks a worker imports at start."""
    celery_app.loader.import_default_modules()
    return ScheduleEntry(
        name=name, app=celery_app, last_run_at=last_run_at, **celery_app.conf.beat_schedule[name]
    )


@pytest.mark.parametrize(
    ("entry_name", "runs_within_seconds", "queue"),
    [
        # A scheduled post goes live within a minute of its time, on the editors' queue.
        ("publish-due-posts", 60, "high"),
        ("decay-popular-posts", 6 * 60 * 60, "low"),
        ("remove-unreferenced-images", 24 * 60 * 60, "low"),
    ],
)
def test_beat_sends_each_periodic_task_when_due_to_a_queue_a_worker_serves(
    entry_name, runs_within_seconds, queue
):
    now = celery_app.now()
    just_run = beat_entry(entry_name, last_run_at=now)
    overdue = beat_entry(entry_name, last_run_at=now - datetime.timedelta(seconds=runs_within_seconds + 1))

    assert just_run.task in celery_app.tasks
    assert not just_run.is_due().is_due
    assert overdue.is_due().is_due
    assert celery_app.amqp.router.route({}, just_run.task)["queue"].name == queue


def test_due_scheduled_posts_are_published_and_the_lists_refreshed(
    post_factory, django_capture_on_commit_callbacks
):
    now = timezone.now()
    due = post_factory(status=Post.Status.SCHEDULED, published_at=now - datetime.timedelta(seconds=5))
    later = post_factory(status=Post.Status.SCHEDULED, published_at=now + datetime.timedelta(hours=1))
    draft = post_factory(status=Post.Status.DRAFT, published_at=now - datetime.timedelta(days=1))
    version_before = list_version()
    assert due not in Post.objects.published()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.publish_due_posts() == 1

    assert list(Post.objects.published()) == [due]
    assert Post.objects.get(pk=due.pk).last_modified > due.last_modified
    assert Post.objects.get(pk=later.pk).status == Post.Status.SCHEDULED
    assert Post.objects.get(pk=draft.pk).status == Post.Status.DRAFT
    assert list_version() != version_before


def test_publishing_again_changes_nothing(post_factory, django_capture_on_commit_callbacks):
    post_factory(status=Post.Status.SCHEDULED, published_at=timezone.now() - datetime.timedelta(minutes=1))
    tasks.publish_due_posts()
    version = list_version()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert tasks.publish_due_posts() == 0

    assert callbacks == []
    assert list_version() == version


reader_numbers = itertools.count(1)


def record_post_view(post):
    """What a new reader's visit does: the page render remembers, the beacon counts."""
    reader_number = next(reader_numbers)
    remember_post(post)
    count_post_view(post.pk, f"10.0.{reader_number // 256}.{reader_number % 256}")


def test_each_view_is_one_increment_and_the_list_is_read_without_sql(post_factory, django_assert_num_queries):
    harbour, council = post_factory(title="Harbour"), post_factory(title="Council")
    for post in (harbour, council, council, council, harbour, council):
        record_post_view(post)

    with django_assert_num_queries(0):
        html = Template("{% load most_read %}{% most_read 5 %}").render(Context())
        ranked = most_read_posts()

    assert ranked == [
        {"title": "Council", "url": council.get_absolute_url(), "id": council.pk, "score": 4.0},
        {"title": "Harbour", "url": harbour.get_absolute_url(), "id": harbour.pk, "score": 2.0},
    ]
    assert html.index("Council") < html.index("Harbour")
    assert f'<a href="{council.get_absolute_url()}">Council</a>' in html


def test_decay_halves_scores_and_drops_faded_and_unpublished_posts(post_factory):
    steady, fading, withdrawn = (post_factory(title=title) for title in ("Steady", "Fading", "Withdrawn"))
    for post, views in ((steady, 8), (fading, 1), (withdrawn, 8)):
        for _view in range(views):
            record_post_view(post)
    Post.objects.filter(pk=withdrawn.pk).update(status=Post.Status.DRAFT)

    assert tasks.decay_popular_posts() == 1

    assert most_read_posts() == [
        {"title": "Steady", "url": steady.get_absolute_url(), "id": steady.pk, "score": 4.0}
    ]


def test_decay_runs_once_per_period_however_often_it_is_sent(post_factory):
    """A second beat or a retried task in the same six hours changes nothing."""
    steady = post_factory(title="Steady")
    for _view in range(8):
        record_post_view(steady)
    period_start = datetime.datetime(2026, 12, 5, 12, tzinfo=datetime.UTC)

    first = popularity.decay_popular_posts(now=period_start)
    again = popularity.decay_popular_posts(now=period_start + datetime.timedelta(hours=5))
    next_period = popularity.decay_popular_posts(now=period_start + datetime.timedelta(hours=6))

    assert (first, again, next_period) == (1, None, 1)
    assert most_read_posts()[0]["score"] == 2.0


def test_a_beacon_for_a_post_no_public_page_rendered_is_not_counted(post_factory):
    draft = post_factory(status=Post.Status.DRAFT)
    count_post_view(draft.pk, "192.0.2.1")
    count_post_view(987654321, "192.0.2.1")
    assert most_read_posts() == []


def test_most_read_is_empty_not_an_error_when_the_list_is_empty():
    assert most_read_posts() == []
    assert Template("{% load most_read %}{% most_read %}").render(Context()).strip() == ""


def test_dead_redis_means_no_list_and_no_counting_never_an_error(post_factory, settings):
    post = post_factory()
    dead_port = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": dead_port}}

    record_post_view(post)
    assert most_read_posts() == []


def test_post_page_beacon_counts_a_read_with_no_sql(client, post_factory, django_assert_num_queries):
    post = post_factory(title="Harbour reopens")
    page = client.get(post.get_absolute_url())
    beacon_url = reverse("blog:post_read", args=[post.pk])
    assert f'data-read-beacon="{beacon_url}"' in page.content.decode()

    with django_assert_num_queries(0):
        response = client.post(beacon_url, headers={"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 204
    assert most_read_posts() == [
        {"title": "Harbour reopens", "url": post.get_absolute_url(), "id": post.pk, "score": 1.0}
    ]


def test_beacon_refuses_get(client, post_factory):
    assert client.get(reverse("blog:post_read", args=[post_factory().pk])).status_code == 405
