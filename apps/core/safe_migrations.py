"""Migrations that never make readers and editors wait on a big table.

Two rules, checked for every migration by tests/core/test_safe_migrations.py:

- An index on a table that holds rows (blog_post: a million at the bench) is
  built CONCURRENTLY, in a non-atomic migration (atomic = False): its SHARE
  UPDATE EXCLUSIVE lock blocks neither reads nor writes while it builds.
- Every other lock is bounded: `manage.py migrate` sets lock_timeout, so a
  DDL statement stuck behind a long read gives up instead of holding the
  queue of every later query on the table, and retries (below).

A retried migrate runs a non-atomic migration from its first operation again,
so each operation here may run twice: a valid index already built is kept,
an INVALID one (left by a build that was cancelled or timed out) is dropped
and built again.
"""

import contextlib
import time

from django.conf import settings
from django.contrib.postgres import operations as postgres_operations
from django.db import migrations
from django.db.utils import OperationalError

# PostgreSQL's SQLSTATE for "lock not granted within lock_timeout".
LOCK_NOT_AVAILABLE = "55P03"

INDEX_STATE_SQL = """
SELECT pg_index.indisvalid FROM pg_index
JOIN pg_class ON pg_class.oid = pg_index.indexrelid
JOIN pg_namespace ON pg_namespace.oid = pg_class.relnamespace
WHERE pg_class.relname = %s AND pg_namespace.nspname = current_schema()
"""


def index_state(connection, index_name):
    """ "valid", "invalid" or None (no such index)."""
    with connection.cursor() as cursor:
        cursor.execute(INDEX_STATE_SQL, [index_name])
        row = cursor.fetchone()
    if row is None:
        return None
    return "valid" if row[0] else "invalid"


def drop_invalid_index(schema_editor, index_name):
    """What a failed CREATE INDEX CONCURRENTLY leaves behind would make the retry fail."""
    if index_state(schema_editor.connection, index_name) == "invalid":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(index_name)}")


@contextlib.contextmanager
def waiting_without_timeout(schema_editor):
    """A concurrent build or drop waits for every transaction that may still use
    the table's old indexes; its lock blocks no reader or writer, so nobody
    queues behind it and it may wait as long as that takes."""
    if schema_editor.collect_sql:
        yield
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        previous = cursor.fetchone()[0]
        cursor.execute("SET lock_timeout = 0")
    try:
        yield
    finally:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [previous])


class AddIndexConcurrently(postgres_operations.AddIndexConcurrently):
    """Django's CREATE INDEX CONCURRENTLY, safe to run again after a failed attempt."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not schema_editor.collect_sql:
            if index_state(schema_editor.connection, self.index.name) == "valid":
                return
            drop_invalid_index(schema_editor, self.index.name)
        with waiting_without_timeout(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrently(postgres_operations.RemoveIndexConcurrently):
    """DROP INDEX CONCURRENTLY IF EXISTS, waiting for readers instead of locking them out."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        with waiting_without_timeout(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)


class CreateIndexConcurrently(migrations.RunSQL):
    """An index Django's models do not describe (on an M2M table), built concurrently."""

    def __init__(self, name, table, columns):
        self.index_name = name
        super().__init__(
            sql=f"CREATE INDEX CONCURRENTLY {name} ON {table} ({columns})",
            reverse_sql=f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not schema_editor.collect_sql:
            if index_state(schema_editor.connection, self.index_name) == "valid":
                return
            drop_invalid_index(schema_editor, self.index_name)
        with waiting_without_timeout(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        with waiting_without_timeout(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)


# ---------------------------------------------------------------- lock_timeout and retries


def is_lock_timeout(error):
    """Whether a database error (or what caused it) is PostgreSQL's lock_timeout."""
    while error is not None:
        if getattr(error, "pgcode", None) == LOCK_NOT_AVAILABLE:
            return True
        error = error.__cause__
    return False


@contextlib.contextmanager
def migration_timeouts(connection):
    """lock_timeout for the migration's locks; no statement_timeout, which is for
    readers' queries (an index build at a million rows takes minutes)."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, false)", [f"{settings.MIGRATION_LOCK_TIMEOUT_MS}ms"]
        )
        cursor.execute("SET statement_timeout = 0")
    try:
        yield
    finally:
        if connection.is_usable():
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
                cursor.execute("RESET statement_timeout")


def retry_on_lock_timeout(run, *, attempts, pause_seconds, on_retry=None):
    """run() until it does not fail for a lock_timeout, at most `attempts` times.

    The pause grows with each attempt, and lets the queries that queued behind
    the failed attempt through before the next one queues again."""
    for attempt in range(1, attempts + 1):
        try:
            return run()
        except OperationalError as error:
            if not is_lock_timeout(error) or attempt == attempts:
                raise
            pause = pause_seconds * attempt
            if on_retry is not None:
                on_retry(attempt, pause, error)
            time.sleep(pause)
    raise AssertionError("attempts must be at least 1")
