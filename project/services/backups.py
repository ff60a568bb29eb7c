"""Continuous backups of a PostgreSQL cluster with pgBackRest (Debian's package).

    python -m project.services.backups backup [full|diff|incr]   the stack's primary, by hand
    python -m project.services.backups info                      its backups and WAL archive
    python -m project.services.backups schedule                  the stack's `backups` process

Why pgBackRest rather than Barman: one C program beside the cluster that does
WAL archiving (archive_command), full, differential and incremental backups,
retention and point-in-time restore, with a repository on a local path or
natively on S3 (repo1-type=s3); Barman needs a backup server reaching the
cluster over ssh and rsync for incremental backups, or its cloud scripts
(boto3) for object storage, and takes only full backups when it streams.

The primary archives every WAL segment into the repository (archive_command
set on its command line, so neither its base backups, its replica nor a
restored copy ever pushes WAL into the same repository). Retention: the two
newest full backups and everything after the older one, so with a weekly
full backup any point of the last 7 to 14 days can be restored. In
production the repository is an S3 bucket: docs/reliability.md, Runbook.
"""

import datetime
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

from .postgres import PG_SYSTEM_USER, PostgreSQL, pg_binary
from .processes import ServiceError, run, run_command_line, running_as_root
from .programs import PGBACKREST_BINARY

STANZA = "broadsheet"
RETENTION_FULL = 2
# The stack's schedule: a full backup weekly, an incremental hourly (the
# scheduler wakes up every minute to check). A segment is archived at least
# every ARCHIVE_TIMEOUT seconds, so a quiet primary loses at most that much.
FULL_EVERY_SECONDS = int(os.environ.get("BACKUP_FULL_SECONDS", str(7 * 24 * 3600)))
INCREMENTAL_EVERY_SECONDS = int(os.environ.get("BACKUP_INCREMENTAL_SECONDS", "3600"))
ARCHIVE_TIMEOUT_SECONDS = 60


class PgBackRest:
    """One cluster's stanza: its configuration file, repository and logs beside the
    cluster's home (where the postgres user may enter), in <home>-backups/."""

    def __init__(self, cluster: PostgreSQL):
        self.cluster = cluster

    @property
    def directory(self) -> Path:
        home = self.cluster.home()
        return home.with_name(f"{home.name}-backups")

    @property
    def config_file(self) -> Path:
        return self.directory / "pgbackrest.conf"

    @property
    def repository(self) -> Path:
        return self.directory / "repository"

    def configuration(self) -> str:
        home = self.cluster.home()
        return "\n".join(
            [
                "[global]",
                f"repo1-path={self.repository}",
                f"repo1-retention-full={RETENTION_FULL}",
                "repo1-retention-full-type=count",
                # zstd: about lz4's speed with gzip's size, on two cores.
                "compress-type=zst",
                "process-max=2",
                # A checkpoint at once, instead of waiting for the next one.
                "start-fast=y",
                f"lock-path={self.directory / 'lock'}",
                f"log-path={self.directory / 'log'}",
                f"spool-path={self.directory / 'spool'}",
                "log-level-console=warn",
                "log-level-file=info",
                "",
                f"[{STANZA}]",
                f"pg1-path={home / 'data'}",
                f"pg1-port={self.cluster.port}",
                f"pg1-socket-path={self.cluster.socket_dir(home)}",
                "pg1-user=postgres",
                "",
            ]
        )

    def write_configuration(self) -> None:
        home = self.cluster.home()
        self.cluster._make_dirs(home, self.cluster.socket_dir(home))
        subdirectories = [self.directory / name for name in ("repository", "lock", "log", "spool")]
        for path in (self.directory, *subdirectories):
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.config_file.write_text(self.configuration())
        if running_as_root():
            for path in (self.directory, *subdirectories, self.config_file):
                shutil.chown(path, PG_SYSTEM_USER, PG_SYSTEM_USER)

    def archive_command(self) -> str:
        config = shlex.quote(str(self.config_file))
        return f"{PGBACKREST_BINARY} --config={config} --stanza={STANZA} archive-push %p"

    def server_options(self) -> str:
        settings = {
            "archive_mode": "on",
            "archive_command": self.archive_command(),
            "archive_timeout": str(ARCHIVE_TIMEOUT_SECONDS),
        }
        return " ".join(f"-c {shlex.quote(f'{name}={value}')}" for name, value in settings.items())

    def run(self, *arguments: str) -> str:
        if not Path(PGBACKREST_BINARY).exists():
            raise ServiceError("pgBackRest is not installed: apt-get install pgbackrest")
        command = [PGBACKREST_BINARY, f"--config={self.config_file}", f"--stanza={STANZA}", *arguments]
        return self.cluster._run_as_owner(command)

    # -------------------------------------------------------- operations

    def create_stanza(self) -> None:
        """Idempotent: a stanza that exists for this cluster is left as it is."""
        self.run("stanza-create")

    def check(self) -> None:
        """Switch to a new WAL segment and wait until the archive holds it."""
        self.run("check")

    def backup(self, kind: str = "incr") -> float:
        """A full, diff or incr backup (incr and diff become full when none exists); its seconds."""
        if kind not in ("full", "diff", "incr"):
            raise ValueError(f"unknown backup type {kind!r}; choose full, diff or incr")
        started = time.monotonic()
        self.run(f"--type={kind}", "backup")
        return time.monotonic() - started

    def backups(self) -> list[dict]:
        """pgBackRest's description of each backup, oldest first ([] before the first)."""
        stanzas = json.loads(self.run("--output=json", "info"))
        return stanzas[0].get("backup", []) if stanzas else []

    def restore(self, data_dir: Path, target_time: str | None = None) -> float:
        """The latest backup into an empty data_dir, with the WAL up to the end of the
        archive or to target_time (then promoted); its seconds."""
        arguments = [f"--pg1-path={data_dir}"]
        if target_time is not None:
            arguments += ["--type=time", f"--target={target_time}", "--target-action=promote"]
        started = time.monotonic()
        self.run(*arguments, "restore")
        return time.monotonic() - started


class ArchivedPostgreSQL(PostgreSQL):
    """A PostgreSQL cluster whose WAL pgBackRest archives, with a stanza of its own."""

    def __init__(self, name: str, port: int, directory: Path):
        super().__init__(name, port, directory)
        self.backups = PgBackRest(self)

    def _server_options(self, socket_dir: Path) -> str:
        return f"{super()._server_options(socket_dir)} {self.backups.server_options()}"

    def data_dirs(self) -> list[Path]:
        return [*super().data_dirs(), self.backups.directory]

    def start(self) -> None:
        self.backups.write_configuration()
        super().start()
        self.backups.create_stanza()

    def configure(self) -> None:
        """A cluster started before it archived is restarted once, with archiving on."""
        super().configure()
        show = [pg_binary("psql"), "-X", "-qtA", "-v", "ON_ERROR_STOP=1", self.url, "-c", "SHOW archive_mode"]
        if run(show).strip() != "on":
            self.stop()
            self.start()


# ---------------------------------------------------------------- the stack's schedule


def due_backup(backups: list[dict], now: float) -> str | None:
    """ "full" when none is younger than FULL_EVERY, "incr" when none is younger than
    INCREMENTAL_EVERY, else None."""
    fulls = [backup["timestamp"]["stop"] for backup in backups if backup["type"] == "full"]
    if not fulls or now - max(fulls) >= FULL_EVERY_SECONDS:
        return "full"
    if now - max(backup["timestamp"]["stop"] for backup in backups) >= INCREMENTAL_EVERY_SECONDS:
        return "incr"
    return None


def schedule(backups: PgBackRest) -> None:
    every = f"full every {FULL_EVERY_SECONDS} s, incremental every {INCREMENTAL_EVERY_SECONDS} s"
    print(f"backups: scheduling ({every})", flush=True)
    while True:
        try:
            kind = due_backup(backups.backups(), time.time())
            if kind is not None:
                seconds = backups.backup(kind)
                print(f"backups: {kind} backup taken in {seconds:.1f} s", flush=True)
        except ServiceError as error:
            # The primary may be down (a fault scenario): try again next minute.
            print(f"backups: {error}", flush=True)
        time.sleep(60)


def describe(backups: list[dict]) -> str:
    lines = []
    for backup in backups:
        stop = datetime.datetime.fromtimestamp(backup["timestamp"]["stop"], datetime.UTC)
        size = backup["info"]["repository"]["delta"] / 1024 / 1024
        lines.append(
            f"{backup['label']:<36} {backup['type']:<5} {stop:%Y-%m-%d %H:%M:%S} UTC  {size:.1f} MiB stored"
        )
    return "\n".join(lines) or "no backup yet"


def main(arguments: list[str]) -> int:
    # stack imports this module for ArchivedPostgreSQL: import it here, not at the top.
    from .stack import components

    primary = components()["postgres"]
    command = arguments[0] if arguments else ""
    if command == "backup":
        seconds = primary.backups.backup(arguments[1] if len(arguments) > 1 else "incr")
        print(f"backup taken in {seconds:.1f} s\n{describe(primary.backups.backups())}")
        return 0
    if command == "info":
        print(describe(primary.backups.backups()))
        return 0
    if command == "schedule":
        schedule(primary.backups)
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    run_command_line(main, "backups")
