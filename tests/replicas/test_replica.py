"""Reads through the real streaming replica that `make test` starts beside the
primary (project/services/replica.py). Which server served a query is asked of
the session that ran it (pg_is_in_recovery(), inet_server_port()), not of the
router. The data is committed for real (transactional tests): a test's own
transaction would never reach the standby."""

import contextlib
import logging
import os
import signal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.urls import reverse

from apps.blog.models import Post
from apps.caching.list_version import bump_list_version_if_replayed
from apps.caching.process_cache import process_cache
from apps.caching.tasks import bump_list_version_once_replayed
from apps.ops.health import replication_report
from apps.replicas.health import forget_health, is_usable, replicas_have_replayed, wait_for_replicas
from apps.replicas.router import RECENT_WRITE_COOKIE
from project.services.processes import wait_until
from project.services.table import SERVICES
from project.services.table import start as start_services
from tests.support.budgets import QUERY_BUDGETS, without_test_transaction
from tests.support.pages import page_urls, post_form_data
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.replica, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]

# The pages that read, with the same budgets; search's statement timeout runs in
# a transaction of its own here, not in a savepoint of a test's transaction.
REPLICA_BUDGETS = {page: without_test_transaction(budget) for page, budget in QUERY_BUDGETS.items() if budget}
PRIMARY_PORT = int(settings.DATABASES["default"]["PORT"])
REPLICA_PORT = int(settings.DATABASES["replica"]["PORT"])


@contextlib.contextmanager
def servers_reached():
    """[(in recovery, server port)] for each query run meanwhile, asked of its own session."""
    reached = []
    for alias in ("default", "replica"):
        # A new connection's django.contrib.postgres type lookups are not the page's queries.
        connections[alias].ensure_connection()

    def record(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        with context["connection"].connection.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
            reached.append(cursor.fetchone())
        return result

    with contextlib.ExitStack() as stack:
        for alias in ("default", "replica"):
            stack.enter_context(connections[alias].execute_wrapper(record))
        yield reached


def cold(url, client):
    cache.clear()
    process_cache.clear()
    return client.get(url)


@pytest.fixture
def replicated_site(site):
    wait_for_replicas()
    return site


@pytest.fixture
def paused_replay():
    """The standby receives WAL but applies none of it until the test ends."""
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    yield
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")


@pytest.mark.parametrize("page_name", sorted(REPLICA_BUDGETS))
def test_anonymous_pages_read_the_replica_with_the_primarys_query_budget(client, replicated_site, page_name):
    url = page_urls(replicated_site)[page_name]
    with servers_reached() as reached:
        response = cold(url, client)

    assert response.status_code == 200
    assert reached == [(True, REPLICA_PORT)] * len(REPLICA_BUDGETS[page_name])


def test_a_signed_in_editor_reads_their_change_from_the_primary_at_once(
    admin_client, replicated_site, paused_replay, settings
):
    # The bump waits for the paused replica at most this long.
    settings.REPLICA_MAX_LAG_SECONDS = 1
    post = replicated_site["posts"][1]
    response = admin_client.post(
        reverse("admin:blog_post_change", args=[post.pk]), post_form_data(post, title="Corrected headline")
    )
    assert response.status_code == 302

    with servers_reached() as reached:
        response = admin_client.get(post.get_absolute_url())

    assert "Corrected headline" in response.content.decode()
    assert reached
    assert set(reached) == {(False, PRIMARY_PORT)}
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT title FROM blog_post WHERE id = %s", [post.pk])
        assert cursor.fetchone() == (post.title,), "the replica was meant to lag behind"


def test_a_client_reads_the_primary_for_a_while_after_it_wrote(admin_client, replicated_site):
    """Signed out at once after a save, an editor still reads the primary."""
    home = page_urls(replicated_site)["home"]
    response = admin_client.post(reverse("admin:logout"))
    assert response.status_code == 200
    assert response.cookies[RECENT_WRITE_COOKIE]["max-age"] == settings.REPLICA_READ_YOUR_WRITES_SECONDS
    assert not admin_client.cookies[settings.SESSION_COOKIE_NAME].value

    with servers_reached() as reached:
        cold(home, admin_client)
    assert set(reached) == {(False, PRIMARY_PORT)}

    admin_client.cookies[RECENT_WRITE_COOKIE] = "1:forged"
    with servers_reached() as reached:
        cold(home, admin_client)
    assert set(reached) == {(True, REPLICA_PORT)}


def test_a_post_that_writes_nothing_keeps_the_reader_on_the_replica(client, replicated_site):
    post = replicated_site["posts"][0]
    response = client.post(
        reverse("blog:post_read", args=[post.pk]), headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert response.status_code == 204
    assert RECENT_WRITE_COOKIE not in response.cookies

    with servers_reached() as reached:
        cold(post.get_absolute_url(), client)
    assert set(reached) == {(True, REPLICA_PORT)}


def test_a_reader_right_after_a_publish_sees_it(client, replicated_site, post_factory):
    client.get("/")
    post_factory(title="Fresh from the newsroom", category=replicated_site["category"])

    with servers_reached() as reached:
        response = client.get("/")

    assert "Fresh from the newsroom" in response.content.decode()
    assert set(reached) == {(True, REPLICA_PORT)}


def test_replica_stopped_mid_test_leaves_every_page_answering_then_reads_return(
    client, replicated_site, caplog
):
    urls = page_urls(replicated_site)
    assert cold(urls["home"], client).status_code == 200
    replica = SERVICES["postgres-replica"]
    try:
        replica.stop()
        with caplog.at_level(logging.WARNING, logger="apps.replicas.health"), servers_reached() as reached:
            statuses = {name: cold(url, client).status_code for name, url in urls.items()}

        assert statuses == dict.fromkeys(urls, 200)
        assert set(reached) == {(False, PRIMARY_PORT)}
        warnings = [record.getMessage() for record in caplog.records if record.name == "apps.replicas.health"]
        assert warnings == ["Replica replica is failing (OperationalError): reading from the primary"]
        assert replication_report() == {"replica_lag_seconds": {"replica": None}}
    finally:
        start_services(["postgres-replica"])

    forget_health()
    assert wait_until(lambda: is_usable("replica"), timeout=30)
    with servers_reached() as reached:
        assert cold(urls["home"], client).status_code == 200
    assert set(reached) == {(True, REPLICA_PORT)}
    assert replication_report()["replica_lag_seconds"]["replica"] < settings.REPLICA_MAX_LAG_SECONDS


@pytest.fixture
def stopped_walreceiver():
    """The standby's walreceiver stopped (SIGSTOP): it receives no more WAL, and
    replays all it has, so on its own it reads as caught up. SIGCONT at the end."""
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_wal_receiver")
        walreceiver_pid = cursor.fetchone()[0]
    os.kill(walreceiver_pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(walreceiver_pid, signal.SIGCONT)


def test_a_replica_that_stopped_receiving_is_skipped_within_the_lag_bound(
    client, replicated_site, stopped_walreceiver, settings
):
    settings.REPLICA_MAX_LAG_SECONDS = 1
    settings.REPLICA_CHECK_SECONDS = 0
    post = replicated_site["posts"][0]
    # An update sends no signal: no bump waits for the replica, only the checks see it.
    Post.objects.filter(pk=post.pk).update(title="Written after the cut")

    assert wait_for(lambda: not is_usable("replica"), timeout=15)
    with servers_reached() as reached:
        assert "Written after the cut" in cold(post.get_absolute_url(), client).content.decode()
    assert set(reached) == {(False, PRIMARY_PORT)}
    assert replication_report()["replica_lag_seconds"]["replica"] > settings.REPLICA_MAX_LAG_SECONDS


def test_a_retraction_the_replica_missed_is_bumped_again_once_it_replays(
    client, replicated_site, paused_replay, settings, broker_messages
):
    """A process that read the lagging replica after the first bump cached the
    retracted post under the new version; the second bump, once the replica
    replayed the retraction, leaves it nowhere."""
    settings.REPLICA_MAX_LAG_SECONDS = 1
    home = page_urls(replicated_site)["home"]
    retracted = replicated_site["posts"][0]
    assert retracted.title in cold(home, client).content.decode()

    Post.objects.filter(pk=retracted.pk).unpublish()

    [(task_name, (unreplayed_lsn,))] = broker_messages()["high"]
    assert task_name == bump_list_version_once_replayed.name
    assert not is_usable("replica")
    # Another process, which has not checked the replica since, renders from it.
    forget_health()
    process_cache.clear()
    assert retracted.title in client.get(home).content.decode()
    assert not bump_list_version_if_replayed(unreplayed_lsn)
    assert retracted.title in client.get(home).content.decode()

    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    assert wait_for(lambda: replicas_have_replayed(unreplayed_lsn))
    assert bump_list_version_if_replayed(unreplayed_lsn)
    assert retracted.title not in client.get(home).content.decode()
