"""A hot standby of the checkout's PostgreSQL: the read replica of Django's
database router (apps/replicas/health.py), streaming from a replication slot.

The first start copies the primary with pg_basebackup: -C -S creates the slot,
so the primary keeps every WAL segment the standby has not received, and -R
writes primary_conninfo and standby.signal, so the copy starts as a standby.
Later starts reuse the copy, which catches up from the slot. A copy of an older
primary (one that `reset` replaced) is taken again: it could never catch up.
"""

import os
import shutil
from pathlib import Path

from .constants import DB_PASSWORD, DB_USER, HOST
from .postgres import PostgreSQL, pg_binary
from .processes import ServiceError, read_pid_line, run, wait_until

# A slot name is a plain identifier, chosen in constants.py.
DROP_STALE_SLOT_SQL = (
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
    " WHERE slot_name = '{slot}' AND NOT active"
)


class PostgresReplica(PostgreSQL):
    def __init__(self, name: str, port: int, directory: Path, primary: PostgreSQL, slot: str):
        super().__init__(name, port, directory)
        self.primary, self.slot = primary, slot

    def start(self) -> None:
        data_dir = self.home() / "data"
        if self.primary.pid() is None:
            raise ServiceError(f"{self.primary.name} is not running: start it before {self.name}")
        if (data_dir / "PG_VERSION").exists() and not self._copies_primary():
            shutil.rmtree(data_dir)
        if not (data_dir / "PG_VERSION").exists():
            self._make_dirs(self.home(), self.socket_dir(self.home()))
            shutil.rmtree(data_dir, ignore_errors=True)
            self._copy_primary(data_dir)
        self._wait_for_crashed_server(data_dir)
        super().start()

    def configure(self) -> None:
        """Take a new copy if the primary was reset under a running replica.

        Nothing else: the copy carries the primary's settings, and a standby takes no writes."""
        if not self._copies_primary():
            self.stop()
            self.start()

    def _copies_primary(self) -> bool:
        """Whether the copy comes from the primary's cluster (not from one `reset` replaced)."""
        return self._system_id(self.home() / "data") == self._system_id(self.primary.home() / "data")

    # -------------------------------------------------------- steps

    def _init_cluster(self, data_dir: Path) -> None:
        raise ServiceError(f"{self.name} has no copy of {self.primary.name} in {data_dir}")

    def _create_role_and_database(self, socket_dir: Path) -> None:
        """The role and database arrive with the copy (a standby is read-only)."""

    def _server_options(self, socket_dir: Path) -> str:
        # No hot_standby_feedback: it would hold back the primary's vacuum (and its
        # row estimates); a replica query cancelled by replay is retried on the primary.
        return f"{super()._server_options(socket_dir)} -c hot_standby=on"

    def _wait_for_crashed_server(self, data_dir: Path) -> None:
        """After a SIGKILL, wait until the old postmaster is reaped and its children are gone.

        Until then PostgreSQL refuses to start: a zombie's pid still answers
        kill(pid, 0), and the children still hold the old shared memory."""
        old_pid = read_pid_line(data_dir / "postmaster.pid")
        if old_pid is None:
            return

        def server_gone() -> bool:
            # A zombie keeps its name, not its command line.
            if process_name(old_pid) == "postgres":
                return False
            return not any(process_cwd(pid) == data_dir for pid in all_pids())

        if not wait_until(server_gone, timeout=60, interval=0.2):
            raise ServiceError(f"{self.name}: the processes of a crashed server still run in {data_dir}")

    def _copy_primary(self, data_dir: Path) -> None:
        # A slot left by a copy that was deleted would make -C fail; an active one is another standby's.
        drop_stale_slot = DROP_STALE_SLOT_SQL.format(slot=self.slot)
        run(
            [
                pg_binary("psql"),
                "-X",
                "-qtA",
                "-v",
                "ON_ERROR_STOP=1",
                self.primary.url,
                "-c",
                drop_stale_slot,
            ]
        )
        primary = f"host={HOST} port={self.primary.port} user={DB_USER} password={DB_PASSWORD}"
        command = [pg_binary("pg_basebackup"), "--dbname", primary, "--pgdata", str(data_dir)]
        command += ["--wal-method", "stream", "--checkpoint", "fast", "--create-slot", "--slot", self.slot]
        command += ["--write-recovery-conf", "--no-sync"]
        self._run_as_owner(command)

    def _system_id(self, data_dir: Path) -> str:
        output = self._run_as_owner([pg_binary("pg_controldata"), str(data_dir)])
        return next(line for line in output.splitlines() if line.startswith("Database system identifier"))


def all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def process_cwd(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None


def process_name(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split("(", 1)[1].rsplit(")", 1)[0]
    except (OSError, IndexError):
        return None
