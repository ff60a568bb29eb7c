"""The cache is an accelerator, never a dependency: with Redis stopped every
page still renders, the outage is logged once a minute, and caching resumes by
itself when Redis returns.

A throwaway redis-server of this test's own (tests/support/servers.py; not the
shared cache instance, which other test runs use) is started, stopped and
started again."""

import copy
import logging

import pytest
from django.core.cache import cache

from apps.caching.log_filters import OncePerInterval
from tests.support.servers import hung, redis_on_free_port, stop_if_running

pytestmark = pytest.mark.services

PAGES = ["/", "/feeds/atom/"]


@pytest.fixture
def throwaway_redis(tmp_path, settings):
    redis = redis_on_free_port(tmp_path)
    redis.start()
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = redis.url
    settings.CACHES = caches
    yield redis
    stop_if_running(redis)


class CountingFilter(logging.Filter):
    """Counts every cache call django-redis swallowed, before the rate limit."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def filter(self, record):
        self.count += 1
        return True


@pytest.fixture
def outage_log(caplog):
    """The project's once-a-minute filter, fresh for this test, and a count of failed calls."""
    redis_logger = logging.getLogger("apps.caching.redis")
    for log_filter in redis_logger.filters:
        if isinstance(log_filter, OncePerInterval):
            log_filter.last_passed_at = None
    failed_calls = CountingFilter()
    redis_logger.filters.insert(0, failed_calls)
    caplog.set_level(logging.WARNING, logger="apps.caching.redis")
    caplog.failed_calls = failed_calls
    yield caplog
    redis_logger.removeFilter(failed_calls)


def outage_records(caplog):
    return [record for record in caplog.records if record.name == "apps.caching.redis"]


def test_pages_render_without_redis_and_caching_resumes_when_it_returns(
    client, post_factory, throwaway_redis, outage_log, django_assert_num_queries, settings
):
    # This test is about Redis; the process's own second of memory would hide the outage.
    settings.CACHE_PROCESS_SECONDS = 0
    post_factory(title="Harbour reopens")
    for url in PAGES:
        client.get(url)
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200

    throwaway_redis.stop()
    outage_requests = 0
    for _ in range(3):
        for url in PAGES:
            response = client.get(url)
            outage_requests += 1
            assert response.status_code == 200
            assert b"Harbour reopens" in response.content

    # One failed read of the page state per request (and the version's
    # get-add-get), then the page renders with no further cache calls.
    assert outage_log.failed_calls.count <= 4 * outage_requests

    records = outage_records(outage_log)
    assert len(records) == 1
    assert records[0].levelname == "WARNING"
    assert "Cache unavailable" in records[0].getMessage()

    throwaway_redis.start()
    # The first call may meet the connection the old server closed; after it,
    # the pool reconnects by itself.
    client.get("/")
    client.get("/")
    with django_assert_num_queries(0):
        assert b"Harbour reopens" in client.get("/").content
    assert cache.keys("fragment:*")


def test_pages_render_while_redis_hangs_and_caching_resumes_when_it_answers(
    client, post_factory, throwaway_redis, outage_log, django_assert_num_queries, settings
):
    """A stopped Redis (SIGSTOP) still accepts connections and answers nothing:
    each cache call gives up at django-redis' SOCKET_TIMEOUT and the page
    renders from PostgreSQL, instead of the worker waiting until gunicorn kills it."""
    settings.CACHE_PROCESS_SECONDS = 0
    post_factory(title="Harbour reopens")
    for url in PAGES:
        client.get(url)

    with hung(throwaway_redis):
        for url in PAGES:
            response = client.get(url)
            assert response.status_code == 200
            assert b"Harbour reopens" in response.content

    assert [record.getMessage() for record in outage_records(outage_log)] == [
        "Cache unavailable, serving pages uncached: Redis TimeoutError: Timeout reading from socket"
    ]
    client.get("/")
    with django_assert_num_queries(0):
        assert b"Harbour reopens" in client.get("/").content


def ignored_exception_record():
    return logging.LogRecord("apps.caching.redis", logging.ERROR, __file__, 1, "Exception ignored", (), None)


def test_outage_warning_is_let_through_once_per_interval():
    log_filter = OncePerInterval(seconds=60)

    assert log_filter.filter(ignored_exception_record()) is True
    assert log_filter.filter(ignored_exception_record()) is False
    log_filter.last_passed_at -= 61
    record = ignored_exception_record()
    assert log_filter.filter(record) is True
    assert record.levelname == "WARNING"


def test_a_second_copy_of_the_filter_does_not_wrap_the_message_again():
    """logging.config adds a logger's filters again each time it is applied."""
    record = ignored_exception_record()

    assert OncePerInterval(seconds=60).filter(record) is True
    assert OncePerInterval(seconds=60).filter(record) is True
    assert record.getMessage() == "Cache unavailable, serving pages uncached: Exception ignored"
