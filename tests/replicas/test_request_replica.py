"""With several replicas, one request reads from one of them: the search's
`SET LOCAL statement_timeout` is made on the connection that runs its queries.

Two replica aliases point at the same real standby, as two replicas of a
deployment would each be a server of their own: which alias ran each
statement, and the statement_timeout that session had when it did, are asked
of the connection that ran it."""

import contextlib

import pytest
from django.db import connections
from django.urls import reverse

from apps.blog.search import SEARCH_STATEMENT_TIMEOUT_MS
from apps.replicas.health import wait_for_replicas

SECOND_REPLICA = "replica_2"
REPLICAS = ("replica", SECOND_REPLICA)
TIMEOUT_STATEMENT = "SET LOCAL statement_timeout = %s"
POSTS = 'FROM "blog_post"'

pytestmark = [pytest.mark.replica, pytest.mark.django_db(transaction=True, databases=["default", *REPLICAS])]


@pytest.fixture(scope="module", autouse=True)
def second_replica_alias(django_db_setup):
    """A second alias of the standby, configured as the first (a test mirror: nothing
    to create or flush). Module-scoped, so it exists before the test's databases are checked."""
    connections.settings[SECOND_REPLICA] = dict(connections["replica"].settings_dict)
    yield
    connections[SECOND_REPLICA].close()
    del connections[SECOND_REPLICA]
    del connections.settings[SECOND_REPLICA]


@pytest.fixture(autouse=True)
def reads_from_both_replicas(settings):
    settings.READ_REPLICAS = list(REPLICAS)


def statements_by_alias(client, url):
    """[(alias, statement, statement_timeout of its session as it ran)] for one request."""
    ran = []

    def record(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        with context["connection"].connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            ran.append((context["connection"].alias, sql, cursor.fetchone()[0]))
        return result

    with contextlib.ExitStack() as stack:
        for alias in ("default", *REPLICAS):
            # A new connection's django.contrib.postgres type lookups are not the page's queries.
            connections[alias].ensure_connection()
            stack.enter_context(connections[alias].execute_wrapper(record))
        response = client.get(url)
    return response, ran


def test_search_sets_its_timeout_on_the_replica_that_runs_its_queries(client, post_factory):
    for number in range(3):
        post_factory(title=f"Harbour report {number}", body="The harbour ferry.")
    wait_for_replicas()
    replicas_used = set()
    for number in range(12):
        response, ran = statements_by_alias(client, f"{reverse('blog:search')}?q=harbour+report+{number}")
        assert response.status_code == 200
        statements = [sql for _alias, sql, _timeout in ran]
        (timeout_alias,) = (
            alias for alias, sql, _timeout in ran if sql.startswith("SET LOCAL statement_timeout")
        )
        search_queries = [
            entry for entry in ran[statements.index(TIMEOUT_STATEMENT) + 1 :] if POSTS in entry[1]
        ]

        assert timeout_alias in REPLICAS
        assert search_queries, "the search ran its queries after setting the timeout"
        assert {alias for alias, _sql, _timeout in ran} == {timeout_alias}
        assert {timeout for _alias, _sql, timeout in search_queries} == {f"{SEARCH_STATEMENT_TIMEOUT_MS}ms"}
        replicas_used.add(timeout_alias)
    # Both replicas serve requests (odds of 2 in 4,096 of one only): the choice is per request.
    assert replicas_used == set(REPLICAS)
