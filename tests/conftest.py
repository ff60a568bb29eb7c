"""Every test runs against the real services `make test` starts: PostgreSQL,
the Redis cache and broker, and the S3 endpoint. Nothing here is mocked."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpResponse

from apps.caching.process_cache import process_cache
from apps.replicas.health import forget_health
from project.celery import app as celery_app
from tests.factories import AuthorFactory, CategoryFactory, PostFactory, TagFactory, make_published_posts
from tests.support.pages import build_site
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


@pytest.fixture(autouse=True)
def served_with_the_web_database_limits():
    """An in-process Celery worker (start_worker) switches this process to the
    task's database limits (project/celery.py): the next test is the web again."""
    web_options = {alias: connections[alias].settings_dict["OPTIONS"]["options"] for alias in connections}
    yield
    for alias, options in web_options.items():
        if connections[alias].settings_dict["OPTIONS"]["options"] != options:
            connections[alias].settings_dict["OPTIONS"]["options"] = options
            connections[alias].close()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Point the replica alias back at the real standby, at the test database.

    Test settings make it a mirror of the primary, so that Django never creates
    or flushes anything on the read-only standby; streaming replication has
    copied the test database there, as it copies the whole cluster."""
    replica_settings = django_settings.DATABASES["replica"]
    replica_settings["NAME"] = connections["default"].settings_dict["NAME"]
    connections["replica"].close()
    connections["replica"].settings_dict = replica_settings
    return django_db_setup


@pytest.fixture(autouse=True)
def reads_from_primary_unless_marked(request, settings):
    """Only tests marked `replica` read through the standby: the others write and
    read back at once, with no time for replication (tests/replicas/test_replica.py)."""
    if request.node.get_closest_marker("replica") is None:
        settings.READ_REPLICAS = []
    else:
        forget_health()


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
def site(db):
    """Every kind of public page has something to show (tests/support/pages.py): the
    author, category, tag, three published posts and a draft, by name."""
    return build_site()


@pytest.fixture
def celery_worker_thread(transactional_db):
    """A real Celery worker thread consuming `high` and `low` from the real Redis broker (slot db)."""
    from celery.contrib.testing.worker import start_worker

    purge_task_queues()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=list(TASK_QUEUES)) as worker:
        yield worker


@pytest.fixture
def admin_client(admin_user):
    """Signed in as a real browser is: force_login sets no response, so the
    signed-in marker the login response would carry is added by hand."""
    from django.test import Client

    from apps.security.signed_in import SIGNED_IN_COOKIE, set_marker

    client = Client()
    client.force_login(admin_user)
    carrier = HttpResponse()
    set_marker(carrier, client.session.session_key)
    client.cookies[SIGNED_IN_COOKIE] = carrier.cookies[SIGNED_IN_COOKIE].value
    return client


@pytest.fixture
def broker_messages():
    """broker_messages(): (task name, args) of what reached the real Redis broker, per queue."""
    purge_task_queues()

    def read():
        received = {}
        with celery_app.connection_for_write() as connection:
            for queue in TASK_QUEUES:
                while (message := connection.default_channel.basic_get(queue, no_ack=True)) is not None:
                    args, _kwargs, _embed = message.decode()
                    received.setdefault(queue, []).append((message.headers["task"], tuple(args)))
        return received

    return read
