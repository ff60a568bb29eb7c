"""`make restore-check`: restore the stack primary's backups into a scratch
cluster, to the end of the archive and to a point in time, and prove that
Django finds what it must there.

    python -m tests.stack.restore_check          the check (CI runs it on every run)
    RESTORE_CHECK_POSTS=1000000 ...              at a million posts; writes docs/reliability.md

Steps, in order:
1. The stack's primary (WAL archived by pgBackRest, project/services/backups.py)
   with its schema and RESTORE_CHECK_POSTS demo posts (seeded once).
2. A backup: full when none exists (or the posts were just seeded), else incremental.
3. A known post published, the point in time noted, a second post published
   (the known change), the WAL archived (pgbackrest check).
4. Restore of the latest backup, replayed to the end of the archive, into a
   scratch cluster; Django (manage.py content_fingerprint) must find the row
   count of every table and the published posts' checksum of the primary, and
   both known posts.
5. Restore to the point in time: the counts and checksum of that moment, the
   first post, and not the second.
The known posts are deleted from the primary at the end. With
RESTORE_CHECK_POSTS set, the times of each step go to docs/reliability.md.
"""

import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

from project.services import stack
from project.services.postgres import PG_SYSTEM_USER, PostgreSQL, pg_binary
from project.services.processes import ServiceError, free_port, run, running_as_root
from tests.stack.harness import update_section
from tests.support.documents import machine_load, markdown_table, today

POSTS = int(os.environ.get("RESTORE_CHECK_POSTS", "300"))
SCRATCH_DIR = stack.STACK_DIR / "restore-check"
DATA_SERVICES = ("postgres", "redis-broker", "redis-cache", "s3")


def say(message):
    print(f"[restore-check {time.strftime('%H:%M:%S')}] {message}", flush=True)


class ScratchCluster(PostgreSQL):
    """A restored data directory started on a free port: never archives, never a replica."""

    def _init_cluster(self, data_dir: Path) -> None:
        raise ServiceError(f"{self.name}: nothing was restored into {data_dir}")

    def _server_options(self, socket_dir: Path) -> str:
        return f"{super()._server_options(socket_dir)} -c archive_mode=off"

    def remove(self) -> None:
        self.stop(mode="immediate")
        for directory in self.data_dirs():
            shutil.rmtree(directory, ignore_errors=True)


def psql(url, sql):
    return run([pg_binary("psql"), "-X", "-qtA", "-v", "ON_ERROR_STOP=1", url, "-c", sql]).strip()


def manage_against(database_url, *arguments):
    """manage.py with the stack's deploy settings, its database swapped for database_url."""
    config = json.loads(stack.CONFIG_FILE.read_text())
    config["DATABASE_URL"] = database_url
    config.pop("DATABASE_REPLICA_URLS", None)
    SCRATCH_DIR.mkdir(parents=True, exist_ok=True)
    config_file = SCRATCH_DIR / "config.json"
    config_file.write_text(json.dumps(config))
    config_file.chmod(0o600)
    return stack.manage(*arguments, config_file=config_file)


def fingerprint(database_url, slugs):
    arguments = ["content_fingerprint"] + [f"--slug={slug}" for slug in slugs]
    return json.loads(manage_against(database_url, *arguments).strip().splitlines()[-1])


PUBLISH_SQL = """
INSERT INTO blog_post (title, slug, author_id, category_id, excerpt, body, body_html, hero_image,
    hero_image_alt, hero_thumbnails, status, published_at, created, last_modified)
SELECT '{title}', '{slug}', (SELECT min(id) FROM blog_author), (SELECT min(id) FROM blog_category),
    '', '', '<p>{title}</p>', '', '', '{{}}', 'published', now(), now(), now()
RETURNING clock_timestamp()
"""


def publish(url, slug):
    """A published post, committed; the moment just after its commit."""
    return psql(url, PUBLISH_SQL.format(title=f"Restore check {slug}", slug=slug))


def prepare_primary(primary):
    say(f"the stack's primary with {POSTS:,} posts")
    stack.ensure_config()
    parts = stack.components()
    for name in DATA_SERVICES:
        parts[name].ensure_up()
    stack.manage("migrate", "--no-input", "--verbosity", "0")
    had_posts = psql(primary.url, "SELECT EXISTS (SELECT FROM blog_post)") == "t"
    if not had_posts:
        stack.manage("seed_demo", "--posts", str(POSTS), "--if-empty")
        psql(primary.url, "VACUUM ANALYZE")
    posts = int(psql(primary.url, "SELECT count(*) FROM blog_post"))
    if "RESTORE_CHECK_POSTS" in os.environ and posts < POSTS:
        raise ServiceError(
            f"the stack's primary holds {posts:,} posts, not {POSTS:,}: measure on a stack whose"
            " primary is empty (remove .services/stack/postgres*, or a fresh checkout)"
        )
    return posts, not had_posts


def restore_and_fingerprint(primary, label, slugs, target_time=None):
    scratch = ScratchCluster(f"restore-{label}", free_port(), SCRATCH_DIR / label)
    scratch.remove()
    home = scratch.home()
    scratch._make_dirs(home, scratch.socket_dir(home))
    data_dir = home / "data"
    data_dir.mkdir(mode=0o700)
    if running_as_root():
        shutil.chown(data_dir, PG_SYSTEM_USER, PG_SYSTEM_USER)
    say(f"restore {label} into {data_dir}")
    restore_seconds = primary.backups.restore(data_dir, target_time)
    started = time.monotonic()
    scratch.start()
    recovery_seconds = time.monotonic() - started
    try:
        found = fingerprint(scratch.url, slugs)
    finally:
        scratch.remove()
    return found, restore_seconds, recovery_seconds


def compare(label, expected, found):
    problems = []
    if found["tables"] != expected["tables"]:
        differing = {
            table: (expected["tables"].get(table), count)
            for table, count in found["tables"].items()
            if expected["tables"].get(table) != count
        }
        problems.append(f"row counts differ (primary, restored): {differing}")
    if found["published_posts"] != expected["published_posts"]:
        problems.append(
            f"published posts differ: {expected['published_posts']} != {found['published_posts']}"
        )
    if found["posts_by_slug"] != expected["posts_by_slug"]:
        problems.append(
            f"known posts differ: expected {expected['posts_by_slug']}, found {found['posts_by_slug']}"
        )
    if problems:
        raise SystemExit(f"restore-check FAILED ({label}): " + "; ".join(problems))
    say(
        f"{label}: {len(found['tables'])} tables, {found['published_posts']['count']:,} published posts match"
    )


def main():
    started = time.monotonic()
    primary = stack.components()["postgres"]
    posts, seeded = prepare_primary(primary)
    backups = primary.backups.backups()
    kind = "full" if seeded or not backups else "incr"
    say(f"{kind} backup of {posts:,} posts")
    backup_seconds = primary.backups.backup(kind)
    newest_backup = primary.backups.backups()[-1]
    size_bytes = newest_backup["info"]["size"]
    # pgBackRest restores to a time from the newest backup that stopped before
    # it, by whole seconds: the point must come later than that second.
    time.sleep(max(0.0, newest_backup["timestamp"]["stop"] + 1.5 - time.time()))

    run_id = uuid.uuid4().hex[:8]
    before, after = f"restore-check-before-{run_id}", f"restore-check-after-{run_id}"
    slugs = [before, after]
    try:
        publish(primary.url, before)
        target_time = psql(primary.url, "SELECT clock_timestamp()")
        at_point = fingerprint(primary.url, slugs)
        time.sleep(1)
        publish(primary.url, after)
        latest = fingerprint(primary.url, slugs)
        primary.backups.check()
        restored_latest, latest_seconds, latest_recovery = restore_and_fingerprint(primary, "latest", slugs)
        compare("latest", latest, restored_latest)
        restored_point, point_seconds, point_recovery = restore_and_fingerprint(
            primary, "point-in-time", slugs, target_time
        )
        compare(f"point in time {target_time}", at_point, restored_point)
    finally:
        psql(primary.url, "DELETE FROM blog_post WHERE slug LIKE 'restore-check-%'")
    assert restored_point["posts_by_slug"] == {before: True, after: False}
    total = time.monotonic() - started
    say(f"passed in {total:.0f} s")
    if "RESTORE_CHECK_POSTS" in os.environ:
        write_report(
            posts=posts,
            kind=kind,
            size_bytes=size_bytes,
            backup_seconds=backup_seconds,
            restores=[
                ("latest (backup + WAL to the end of the archive)", latest_seconds, latest_recovery),
                ("point in time (backup + WAL to the known change)", point_seconds, point_recovery),
            ],
        )


def write_report(*, posts, kind, size_bytes, backup_seconds, restores):
    rows = [
        [f"{kind} backup", f"{backup_seconds:.1f}", "-", f"{size_bytes / 1024 / 1024:,.0f} MiB of data files"]
    ]
    for label, restore_seconds, recovery_seconds in restores:
        rows.append(
            [f"restore, {label}", f"{restore_seconds:.1f}", f"{recovery_seconds:.1f}", "checked by Django"]
        )
    body = f"""## Backups and restores at {posts:,} posts

Written by `RESTORE_CHECK_POSTS={posts} make restore-check` (tests/stack/restore_check.py)
on {today()}, on {machine_load()}:
{run(["pgbackrest", "version"]).strip()}, zstd, two processes, repository on the local disk.
Each restore goes into an empty scratch cluster, which then replays the archived WAL
and starts; Django compares every table's row count, the published posts' checksum
and the two known posts with the primary's.

{markdown_table(["step", "pgBackRest, s", "replay and start, s", "what"], rows)}
"""
    update_section("backups", body)


if __name__ == "__main__":
    try:
        main()
    except ServiceError as error:
        sys.exit(f"restore-check FAILED: {error}")
