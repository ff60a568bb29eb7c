"""No migration holds a long lock on a big table (apps/core/safe_migrations.py).

The check reads the SQL each migration would run (what `sqlmigrate` prints,
collected against the real PostgreSQL) and fails on any statement that holds
a lock on a table growing with the posts for as long as it reads the table:
an index built without CONCURRENTLY, a constraint validated under the lock, a
rewrite. Brief locks (a nullable column, a constant default) are fine: the
migrate command's lock_timeout bounds how long others queue behind them.
Tables created in the same migration are empty and exempt.
"""

import re
import threading

import psycopg2
import pytest
from django.apps import apps
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.utils import IntegrityError, OperationalError

from apps.core.safe_migrations import (
    AddIndexConcurrently,
    index_state,
    is_lock_timeout,
    migration_timeouts,
    retry_on_lock_timeout,
)
from project.services.constants import DB_PASSWORD, DB_USER, HOST, PG_PORT

# Tables whose rows grow with the posts: a million and more at the bench.
BIG_TABLES = ("blog_post", "blog_post_tags", "blog_postbodyimage")
# Reviewed by hand, with the reason each holds no long lock where it runs:
REVIEWED = {
    # The stored search vector (a rewrite) and indexes on the table 0001 had just
    # created: both shipped together, before any database held posts.
    ("blog", "0002_readers_indexes_search"),
    # varchar(100) to varchar(255): widening a varchar changes the catalog only,
    # no rewrite and no scan (PostgreSQL's ALTER TABLE notes).
    ("blog", "0006_unguessable_upload_names"),
}

TABLE = r'"?(?P<table>{})"?(?=[\s(;]|$)'.format("|".join(BIG_TABLES))
CONSTRAINT_KINDS = "(CHECK|UNIQUE|PRIMARY KEY|FOREIGN KEY|EXCLUDE)"
LONG_LOCKS = {
    "builds an index without CONCURRENTLY": rf"^CREATE (UNIQUE )?INDEX (?!CONCURRENTLY).* ON {TABLE}",
    "rewrites the table (a column's type)": rf"^ALTER TABLE {TABLE} .*ALTER COLUMN .* TYPE ",
    "scans the table under its lock (SET NOT NULL)": rf"^ALTER TABLE {TABLE} .*SET NOT NULL",
    "validates a constraint under the lock": (
        rf"^ALTER TABLE {TABLE} .*ADD (CONSTRAINT .* )?{CONSTRAINT_KINDS}(?!.*NOT VALID)"
    ),
    "checks every row under the lock (a column with a constraint)": (
        rf"^ALTER TABLE {TABLE} .*ADD COLUMN .* (CHECK|UNIQUE|PRIMARY KEY|REFERENCES)\b"
    ),
    "rewrites the table (a stored generated column)": (
        rf"^ALTER TABLE {TABLE} .*ADD COLUMN .* GENERATED ALWAYS"
    ),
    "rewrites or locks the whole table": (
        rf"^(VACUUM FULL|CLUSTER|REINDEX (?!.*CONCURRENTLY)|LOCK TABLE)( \w+)* {TABLE}"
    ),
}
CREATED_TABLE = re.compile(r'^CREATE TABLE "?(?P<table>\w+)"?')


def project_migrations(loader):
    app_labels = {config.label for config in apps.get_app_configs() if config.name.startswith("apps.")}
    return sorted(key for key in loader.disk_migrations if key[0] in app_labels)


def collected_sql(migration, state):
    """The statements `sqlmigrate` would print for the migration from that state."""
    with connection.schema_editor(collect_sql=True, atomic=migration.atomic) as schema_editor:
        migration.apply(state, schema_editor, collect_sql=True)
    statements = []
    for chunk in schema_editor.collected_sql:
        statements += [
            part.strip() for part in chunk.split(";") if part.strip() and not part.startswith("--")
        ]
    return statements


def long_locks(statements):
    """(statement, why) for each statement holding a big table's lock while it reads the table."""
    created = {match["table"] for statement in statements if (match := CREATED_TABLE.match(statement))}
    found = []
    for statement in statements:
        flat = " ".join(statement.split())
        for why, pattern in LONG_LOCKS.items():
            match = re.search(pattern, flat, re.IGNORECASE)
            if match and match["table"] not in created:
                found.append((flat, why))
    return found


def probe_migration(*operations, atomic=True):
    """An unsaved migration after the latest blog migration, to run the check on."""
    return type("Migration", (migrations.Migration,), {"operations": list(operations), "atomic": atomic})(
        "9999_probe", "blog"
    )


@pytest.fixture
def loader(django_db_setup, django_db_blocker):
    """Outside a test transaction, as `sqlmigrate` runs: a non-atomic migration
    (CREATE INDEX CONCURRENTLY) refuses to run inside one, even to print its SQL."""
    with django_db_blocker.unblock():
        yield MigrationLoader(connection)


def state_after_all(loader):
    return loader.project_state(loader.graph.leaf_nodes("blog"), at_end=True)


def test_no_migration_takes_a_long_lock_on_a_big_table(loader):
    found = {}
    for key in project_migrations(loader):
        if key in REVIEWED:
            continue
        locks = long_locks(
            collected_sql(loader.disk_migrations[key], loader.project_state(key, at_end=False))
        )
        if locks:
            found[key] = locks
    assert found == {}, "build indexes with apps.core.safe_migrations.AddIndexConcurrently (atomic = False)"


@pytest.mark.parametrize(
    ("operation", "why"),
    [
        (
            migrations.AddIndex("post", models.Index(fields=["title"], name="probe_idx")),
            "builds an index without CONCURRENTLY",
        ),
        (
            migrations.RunSQL("CREATE INDEX probe_idx ON blog_post_tags (tag_id)"),
            "builds an index without CONCURRENTLY",
        ),
        (
            migrations.AddField("post", "probe", models.PositiveIntegerField(default=0)),
            "checks every row under the lock (a column with a constraint)",
        ),
        (
            migrations.AlterField("post", "excerpt", models.CharField(max_length=600, blank=True)),
            "rewrites the table (a column's type)",
        ),
        (
            migrations.AddConstraint(
                "post", models.CheckConstraint(condition=models.Q(id__gt=0), name="probe_positive_id")
            ),
            "validates a constraint under the lock",
        ),
        (
            migrations.AddField("post", "probe", models.CharField(max_length=10, unique=True, null=True)),
            "checks every row under the lock (a column with a constraint)",
        ),
    ],
    ids=[
        "add-index",
        "raw-index",
        "positive-integer-column",
        "column-type",
        "check-constraint",
        "unique-column",
    ],
)
def test_the_check_flags_each_kind_of_long_lock(loader, operation, why):
    statements = collected_sql(probe_migration(operation), state_after_all(loader))

    assert why in {found_why for _, found_why in long_locks(statements)}


@pytest.mark.parametrize(
    "operation",
    [
        AddIndexConcurrently("post", models.Index(fields=["title"], name="probe_idx")),
        migrations.AddField("post", "probe", models.CharField(max_length=10, blank=True, null=True)),
        migrations.AddField("post", "probe", models.IntegerField(default=0)),
        migrations.CreateModel(
            "Probe",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("post", models.ForeignKey("blog.Post", on_delete=models.CASCADE)),
            ],
        ),
    ],
    ids=["index-concurrently", "nullable-column", "constant-default", "new-table-referencing-posts"],
)
def test_the_check_lets_brief_locks_through(loader, operation):
    """A constant default costs no rewrite since PostgreSQL 11; a new table is empty."""
    statements = collected_sql(probe_migration(operation, atomic=False), state_after_all(loader))

    assert statements
    assert long_locks(statements) == []


# ---------------------------------------------------------------- lock_timeout and retries


@pytest.fixture
def other_session():
    """A second session on the test database, as a long reader would hold one."""
    session = psycopg2.connect(
        host=HOST, port=PG_PORT, user=DB_USER, password=DB_PASSWORD, dbname=connection.settings_dict["NAME"]
    )
    yield session
    session.close()


@pytest.mark.django_db(transaction=True)
def test_a_migration_stuck_behind_a_reader_gives_up_within_the_lock_timeout_and_retries(
    settings, other_session
):
    """The reader's transaction holds ACCESS SHARE on the table; ALTER TABLE needs
    ACCESS EXCLUSIVE. The first attempt gives up at lock_timeout, the reader
    finishes during the pause, the second attempt goes through."""
    settings.MIGRATION_LOCK_TIMEOUT_MS = 200
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE lock_probe (id integer)")
    reader = other_session.cursor()
    reader.execute("SELECT count(*) FROM lock_probe")
    retries = []
    reader_done = threading.Event()

    def on_retry(attempt, pause, error):
        retries.append((attempt, is_lock_timeout(error)))
        other_session.commit()
        reader_done.set()

    def alter_table():
        with migration_timeouts(connection), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE lock_probe ADD COLUMN probe integer")

    try:
        retry_on_lock_timeout(alter_table, attempts=3, pause_seconds=0.1, on_retry=on_retry)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'lock_probe'"
            )
            columns = {row[0] for row in cursor.fetchall()}
    finally:
        other_session.rollback()
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS lock_probe")

    assert reader_done.is_set()
    assert retries == [(1, True)]
    assert columns == {"id", "probe"}


@pytest.mark.django_db(transaction=True)
def test_retries_end_with_the_lock_timeout_error_when_the_reader_never_finishes(settings, other_session):
    settings.MIGRATION_LOCK_TIMEOUT_MS = 100
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE lock_probe (id integer)")
    other_session.cursor().execute("SELECT count(*) FROM lock_probe")

    def alter_table():
        with migration_timeouts(connection), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE lock_probe ADD COLUMN probe integer")

    try:
        with pytest.raises(OperationalError) as raised:
            retry_on_lock_timeout(alter_table, attempts=2, pause_seconds=0)
    finally:
        other_session.rollback()
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS lock_probe")

    assert is_lock_timeout(raised.value)


@pytest.mark.django_db(transaction=True)
def test_an_invalid_index_left_by_a_failed_concurrent_build_is_built_again(loader):
    """A cancelled CREATE INDEX CONCURRENTLY leaves an INVALID index of the same
    name; the retried AddIndexConcurrently drops it and builds a valid one."""
    migration = loader.disk_migrations[("blog", "0010_status_date_index_title_statistics")]
    operation = next(op for op in migration.operations if isinstance(op, AddIndexConcurrently))
    index_name = operation.index.name
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO blog_tag (name, slug, last_modified) VALUES ('a', 'a', now()), ('b', 'b', now())"
        )
        cursor.execute(f"DROP INDEX {index_name}")
        # A unique index over equal values fails after creating its entry: INVALID.
        with pytest.raises(IntegrityError):
            cursor.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {index_name} ON blog_tag ((1))")
    assert index_state(connection, index_name) == "invalid"
    state = loader.project_state(("blog", migration.name), at_end=False)
    to_state = state.clone()
    operation.state_forwards("blog", to_state)

    with connection.schema_editor(atomic=False) as schema_editor:
        operation.database_forwards("blog", schema_editor, state, to_state)

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [index_name])
        definition = cursor.fetchone()[0]
    assert index_state(connection, index_name) == "valid"
    assert "ON public.blog_post USING btree (status, published_at DESC, id DESC)" in definition


@pytest.mark.django_db(transaction=True)
def test_an_index_already_built_is_kept_when_the_migration_runs_again(loader):
    with connection.schema_editor(atomic=False) as schema_editor:
        assert index_state(connection, "post_status_date_idx") == "valid"
        migration = loader.disk_migrations[("blog", "0010_status_date_index_title_statistics")]
        operation = next(op for op in migration.operations if isinstance(op, AddIndexConcurrently))
        state = loader.project_state(("blog", migration.name), at_end=False)
        to_state = state.clone()
        operation.state_forwards("blog", to_state)

        operation.database_forwards("blog", schema_editor, state, to_state)

        assert index_state(connection, "post_status_date_idx") == "valid"
