"""`make migration-check`: new migrations applied to a copy of the million-post
database while readers and editors run; writes docs/reliability.md.

    python -m tests.bench.migration
    MIGRATION_CHECK_SECONDS=10 ...        the length of each quiet phase (default 10)

The copy is made from the bench's 1M database (tests/bench/harness.py,
seeded once) with CREATE DATABASE ... TEMPLATE, and dropped at the end. The
migrations are written into a throwaway package beside copies of the real
ones (tests/bench/migration_settings.py reads it), so the repository never
holds them. Readers run the home list and a story by slug; editors save a
post (UPDATE in a transaction), each on its own connection, in threads.

Phases, in order:
1. quiet: readers and editors alone, the baseline.
2. an index on blog_post (apps/core/safe_migrations.AddIndexConcurrently):
   nobody may wait for it.
3. a new column (ACCESS EXCLUSIVE, brief) while a long report holds blog_post:
   the migration gives up at the lock_timeout, retries, and goes through
   once the report ends; readers and editors wait at most the lock_timeout.
"""

import contextlib
import os
import random
import shutil
import statistics
import subprocess
import threading
import time

import psycopg2
from psycopg2 import sql

from project.settings.base import MIGRATION_LOCK_TIMEOUT_MS
from tests.stack.harness import update_section
from tests.support.documents import machine_load
from tests.support.threads import ThreadsInABlock

from .harness import (
    PROJECT_ROOT,
    PYTHON,
    RESULTS_DIR,
    BenchDatabase,
    admin_connection,
    exclusive_run,
    markdown_table,
    say,
    today,
)

QUIET_SECONDS = int(os.environ.get("MIGRATION_CHECK_SECONDS", "10"))
READERS, EDITORS = 4, 2
# How long the report of phase 3 holds its lock on blog_post.
REPORT_SECONDS = 7
COPY_NAME = "broadsheet_migration_check_1m"
PACKAGE_DIR = RESULTS_DIR / "migration-check"
PACKAGE = "migration_check_blog_migrations"
BLOG_MIGRATIONS = PROJECT_ROOT / "apps" / "blog" / "migrations"

INDEX_MIGRATION = """from django.db import migrations, models

from apps.core.safe_migrations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("blog", "{previous}")]
    operations = [
        AddIndexConcurrently("post", models.Index(fields=["title"], name="migration_check_title_idx")),
    ]
"""
COLUMN_MIGRATION = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("blog", "9001_migration_check_index")]
    operations = [
        migrations.AddField("post", "migration_check_note", models.TextField(null=True, blank=True)),
    ]
"""

# The visibility rule of Post.objects.published(), as the ORM writes it.
PUBLISHED = "status = 'published' AND published_at <= now()"
HOME_SQL = (
    f"SELECT id, title, slug, published_at FROM blog_post WHERE {PUBLISHED}"  # noqa: S608 - constants
    " ORDER BY published_at DESC, id DESC LIMIT 20"
)
STORY_SQL = f"SELECT * FROM blog_post WHERE slug = %s AND {PUBLISHED}"  # noqa: S608 - constants
SAVE_SQL = "UPDATE blog_post SET title = title, last_modified = now() WHERE id = %s"


class Workload(ThreadsInABlock):
    """Reader and editor threads recording (kind, started, seconds, error) per query."""

    def __init__(self, database_url, slugs, post_ids):
        super().__init__()
        self.database_url, self.slugs, self.post_ids = database_url, slugs, post_ids
        self.records, self.lock = [], threading.Lock()
        self.threads = [threading.Thread(target=self.reader, args=(n,)) for n in range(READERS)]
        self.threads += [threading.Thread(target=self.editor, args=(n,)) for n in range(EDITORS)]

    def connect(self):
        connection = psycopg2.connect(self.database_url)
        connection.autocommit = True
        return connection

    def record(self, kind, started, error=None):
        with self.lock:
            self.records.append((kind, started, time.monotonic() - started, error))

    def reader(self, number):
        rng = random.Random(number)
        with contextlib.closing(self.connect()) as connection, connection.cursor() as cursor:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    cursor.execute(HOME_SQL)
                    cursor.fetchall()
                    cursor.execute(STORY_SQL, [rng.choice(self.slugs)])
                    cursor.fetchall()
                    self.record("reader", started)
                except psycopg2.Error as error:
                    self.record("reader", started, str(error).strip())

    def editor(self, number):
        rng = random.Random(100 + number)
        with contextlib.closing(self.connect()) as connection:
            connection.autocommit = False
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    with connection.cursor() as cursor:
                        cursor.execute(SAVE_SQL, [rng.choice(self.post_ids)])
                    connection.commit()
                    self.record("editor", started)
                except psycopg2.Error as error:
                    connection.rollback()
                    self.record("editor", started, str(error).strip())
                time.sleep(0.2)

    def figures(self, kind, since, until):
        rows = [record for record in self.records if record[0] == kind and since <= record[1] < until]
        seconds = sorted(record[2] * 1000 for record in rows)
        errors = [record[3] for record in rows if record[3]]
        if not seconds:
            return [kind, 0, "-", "-", "-", len(errors)]
        p99 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))]
        return [
            kind,
            len(rows),
            f"{statistics.median(seconds):.0f}",
            f"{p99:.0f}",
            f"{seconds[-1]:.0f}",
            len(errors),
        ]


def write_package():
    """The real blog migrations (copied) and the two probe migrations, importable as PACKAGE."""
    shutil.rmtree(PACKAGE_DIR, ignore_errors=True)
    package = PACKAGE_DIR / PACKAGE
    package.mkdir(parents=True)
    for migration in BLOG_MIGRATIONS.glob("*.py"):
        shutil.copy(migration, package / migration.name)
    previous = sorted(path.stem for path in BLOG_MIGRATIONS.glob("[0-9]*.py"))[-1]
    (package / "9001_migration_check_index.py").write_text(INDEX_MIGRATION.format(previous=previous))
    (package / "9002_migration_check_column.py").write_text(COLUMN_MIGRATION)


class CopyOfBenchDatabase(BenchDatabase):
    """The bench's 1M database copied under another name, for writing."""

    def __init__(self, source):
        super().__init__(source.posts)
        self.source_name, self.name = source.name, COPY_NAME
        self.config_path = RESULTS_DIR / f"config-{COPY_NAME}.json"

    def create(self):
        with contextlib.closing(admin_connection()) as connection, connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
            for attempt in range(30):
                try:
                    cursor.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                            sql.Identifier(self.name), sql.Identifier(self.source_name)
                        )
                    )
                    break
                except psycopg2.errors.ObjectInUse:
                    # Someone is connected to the template; it frees up between benchmarks.
                    say(f"the template is in use; retry {attempt + 1}")
                    time.sleep(10)
        self.write_config()

    def drop(self):
        with contextlib.closing(admin_connection()) as connection, connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )

    def migrate(self, target):
        """manage.py migrate blog target with the probe package; (seconds, its stderr)."""
        env = {
            **self.env,
            "DJANGO_SETTINGS_MODULE": "tests.bench.migration_settings",
            "PYTHONPATH": f"{PACKAGE_DIR}:{PROJECT_ROOT}",
        }
        started = time.monotonic()
        completed = subprocess.run(
            [PYTHON, "manage.py", "migrate", "blog", target, "--no-input"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return time.monotonic() - started, completed.stderr


def sample(database_url):
    with contextlib.closing(psycopg2.connect(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, slug FROM blog_post WHERE status = 'published' ORDER BY random() LIMIT 2000"
        )
        rows = cursor.fetchall()
    return [slug for _, slug in rows], [post_id for post_id, _ in rows]


@contextlib.contextmanager
def long_report(database_url):
    """A transaction that read blog_post and goes on for REPORT_SECONDS, holding ACCESS SHARE."""
    connection = psycopg2.connect(database_url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM blog_post")
    timer = threading.Timer(REPORT_SECONDS, connection.commit)
    timer.start()
    try:
        yield
    finally:
        timer.join()
        connection.close()


def main():
    source = BenchDatabase(1_000_000)
    marker = source._marker() or ""
    if not marker.startswith(source.expected_marker + " "):
        source.ensure_seeded()
    database = CopyOfBenchDatabase(source)
    say(f"copying {source.name} into {database.name}")
    database.create()
    write_package()
    try:
        slugs, post_ids = sample(database.url)
        phases = []
        with Workload(database.url, slugs, post_ids) as workload:
            started = time.monotonic()
            time.sleep(QUIET_SECONDS)
            phases.append(("quiet (baseline)", started, time.monotonic(), "-", "-"))
            say("migrating: an index on blog_post, CONCURRENTLY")
            started = time.monotonic()
            index_seconds, _ = database.migrate("9001")
            phases.append(
                ("index on blog_post, CONCURRENTLY", started, time.monotonic(), f"{index_seconds:.1f}", 1)
            )
            say(f"migrating: a new column while a report holds blog_post for {REPORT_SECONDS} s")
            started = time.monotonic()
            with long_report(database.url):
                column_seconds, stderr = database.migrate("9002")
            attempts = 1 + stderr.count("migrate: a lock was not granted")
            phases.append(
                (
                    "new column behind a long report",
                    started,
                    time.monotonic(),
                    f"{column_seconds:.1f}",
                    attempts,
                )
            )
        write_report(workload, phases)
    finally:
        database.drop()
        shutil.rmtree(PACKAGE_DIR, ignore_errors=True)


COLUMNS = ["phase", "migrate, s", "attempts", "who", "queries", "p50 ms", "p99 ms", "max ms", "errors"]


def write_report(workload, phases):
    rows = []
    for label, since, until, migrate_seconds, attempts in phases:
        for kind in ("reader", "editor"):
            rows.append([label, migrate_seconds, attempts, *workload.figures(kind, since, until)])
    body = f"""## Migrations at a million posts, under load

Written by `make migration-check` (tests/bench/migration.py) on {today()}, on
{machine_load()}. A copy of the bench's 1,000,000-post database;
{READERS} readers (home list and a story by slug) and {EDITORS} editors (a save every
0.2 s) on their own connections throughout. The lock_timeout is
{MIGRATION_LOCK_TIMEOUT_MS} ms (MIGRATION_LOCK_TIMEOUT_MS); the report of the last phase holds
blog_post for {REPORT_SECONDS} s. Times are each query's (a reader's: both queries).

{markdown_table(COLUMNS, rows)}
"""
    update_section("migrations", body)


if __name__ == "__main__":
    with exclusive_run():
        main()
