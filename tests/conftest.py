"""Every test runs against the real services `make test` starts: PostgreSQL,
the Redis cache and broker, and the S3 endpoint. Nothing here is mocked."""

import pytest
from django.core.cache import cache

from apps.caching.process_cache import process_cache
from project.celery import app as celery_app
from tests.factories import AuthorFactory, CategoryFactory, PostFactory, TagFactory, make_published_posts
from tests.support.queues import TASK_QUEUES, purge_task_queues


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with a cold cache (the test Redis database only, and
    this process's memory of recent responses)."""
    cache.clear()
    process_cache.clear()
    yield
    cache.clear()
    process_cache.clear()


@pytest.fixture
def author_factory(db):
    return AuthorFactory


@pytest.fixture
def category_factory(db):
    return CategoryFactory


@pytest.fixture
def tag_factory(db):
    return TagFactory


@pytest.fixture
def post_factory(db):
    return PostFactory


@pytest.fixture
def published_posts(db):
    """make_published_posts(count, author=..., category=..., tags=...): many rows, few INSERTs."""
    return make_published_posts


@pytest.fixture
def celery_worker_thread(transactional_db):
    """A real Celery worker thread consuming `high` and `low` from the real Redis broker (slot db)."""
    from celery.contrib.testing.worker import start_worker

    purge_task_queues()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=list(TASK_QUEUES)) as worker:
        yield worker
