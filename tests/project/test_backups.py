"""The backup schedule and the archiving options of `make stack`'s primary
(project/services/backups.py); make restore-check runs the real backups and restores."""

from project.services.backups import (
    FULL_EVERY_SECONDS,
    INCREMENTAL_EVERY_SECONDS,
    ArchivedPostgreSQL,
    due_backup,
)
from project.services.replica import PostgresReplica

NOW = 1_800_000_000.0


def backup(kind, seconds_ago):
    return {"type": kind, "timestamp": {"stop": NOW - seconds_ago}}


def test_the_first_backup_is_a_full_one():
    assert due_backup([], NOW) == "full"


def test_an_incremental_backup_follows_once_the_last_backup_is_an_hour_old():
    assert due_backup([backup("full", INCREMENTAL_EVERY_SECONDS - 1)], NOW) is None
    assert due_backup([backup("full", INCREMENTAL_EVERY_SECONDS)], NOW) == "incr"


def test_a_full_backup_is_due_a_week_after_the_last_full_one_whatever_the_incrementals():
    backups = [backup("full", FULL_EVERY_SECONDS), backup("incr", 60)]

    assert due_backup(backups, NOW) == "full"


def test_the_primary_archives_through_pgbackrest_and_its_replica_does_not(tmp_path):
    primary = ArchivedPostgreSQL("postgres", 1, tmp_path / "postgres")
    replica = PostgresReplica("postgres-replica", 2, tmp_path / "replica", primary, "slot")
    socket_dir = tmp_path / "socket"

    options = primary._server_options(socket_dir)

    assert "-c archive_mode=on" in options
    assert "archive-push %p" in options
    assert f"--config={primary.backups.config_file}" in options
    assert "archive_mode" not in replica._server_options(socket_dir)
