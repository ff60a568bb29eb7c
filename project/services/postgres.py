"""A PostgreSQL cluster of the checkout's own: initdb on first start, pg_ctl
to start and stop, a superuser role and database named broadsheet.

As root, the cluster runs as the postgres user (runuser); when that user cannot
enter the checkout (often under /root, mode 700) it lives in /var/lib/broadsheet
instead. BROADSHEET_PG_FAST=1 turns off fsync for test runs; each start applies
the setting of its own environment, even to a server that is already running.
"""

import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from .base import Service
from .constants import DB_NAME, DB_PASSWORD, DB_USER, HOST, PROJECT_ROOT, SERVICES_DIR, database_url
from .processes import (
    ServiceError,
    log_tail,
    process_is_alive,
    read_pid_line,
    run,
    running_as_root,
    user_can_enter,
)
from .programs import postgres_bin_dir

# The root-only home for clusters when the checkout's parents keep the postgres user out.
ROOT_PG_PARENT = Path("/var/lib/broadsheet")
PG_SYSTEM_USER = "postgres"
REPLICATION_ENTRY = ["host", "replication", DB_USER, f"{HOST}/32", "scram-sha-256"]


def pg_binary(name: str) -> str:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise ServiceError("PostgreSQL is not installed: apt-get install postgresql")
    return str(bin_dir / name)


class PostgreSQL(Service):
    def __init__(self, name: str, port: int, directory: Path):
        self.name, self.port, self.directory = name, port, directory
        self.url = database_url(port)

    # -------------------------------------------------------- where it lives

    def home(self) -> Path:
        """Holds the cluster's data/, socket/ and postgres.log."""
        if not running_as_root():
            return self.directory
        SERVICES_DIR.mkdir(parents=True, exist_ok=True)
        if user_can_enter(PG_SYSTEM_USER, SERVICES_DIR):
            return self.directory
        project_hash = hashlib.sha1(str(PROJECT_ROOT).encode(), usedforsecurity=False).hexdigest()[:12]
        return ROOT_PG_PARENT / project_hash / self.directory.relative_to(SERVICES_DIR)

    def socket_dir(self, home: Path) -> Path:
        socket_dir = home / "socket"
        # A Unix socket path may hold 107 bytes at most; deep checkouts go to /tmp.
        if len(str(socket_dir / f".s.PGSQL.{self.port}")) > 100:
            home_hash = hashlib.sha1(bytes(home), usedforsecurity=False).hexdigest()[:12]
            socket_dir = Path(tempfile.gettempdir()) / f"broadsheet-pg-{home_hash}"
        return socket_dir

    def data_dirs(self) -> list[Path]:
        return list(dict.fromkeys([self.directory, self.home()]))

    def pid(self) -> int | None:
        # The first line of postmaster.pid is the server's pid; the file outlives a crash.
        server_pid = read_pid_line(self.home() / "data" / "postmaster.pid")
        if server_pid is not None and process_is_alive(server_pid):
            return server_pid
        return None

    # -------------------------------------------------------- lifecycle

    def is_up(self) -> bool:
        if postgres_bin_dir() is None:
            return False
        command = [pg_binary("pg_isready"), "--quiet", "-h", HOST, "-p", str(self.port), "-t", "1"]
        return subprocess.run(command, check=False).returncode == 0

    def start(self) -> None:
        home = self.home()
        data_dir, socket_dir, log_file = home / "data", self.socket_dir(home), home / "postgres.log"
        self._make_dirs(home, socket_dir)
        if not (data_dir / "PG_VERSION").exists():
            self._init_cluster(data_dir)
        start = [pg_binary("pg_ctl"), "start", "--wait", "--timeout", "60", "--pgdata", str(data_dir)]
        start += ["--log", str(log_file), "--options", self._server_options(socket_dir)]
        try:
            self._run_as_owner(start)
        except ServiceError as error:
            raise ServiceError(f"{error}\n--- {log_file}\n{log_tail(log_file)}") from None
        self._create_role_and_database(socket_dir)

    def stop(self, mode: str = "fast") -> None:
        if self.pid() is not None:
            data_dir = self.home() / "data"
            stop = [pg_binary("pg_ctl"), "stop", "--wait", "--mode", mode, "--pgdata", str(data_dir)]
            self._run_as_owner(stop)

    def configure(self) -> None:
        """Apply BROADSHEET_PG_FAST to the running server; these settings need no restart."""
        self.allow_replication()
        # Off trades crash safety for speed: for throwaway test databases only.
        value = "off" if os.environ.get("BROADSHEET_PG_FAST") == "1" else "on"
        command = [pg_binary("psql"), "-X", "-qtA", "-v", "ON_ERROR_STOP=1", self.url]
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            # One -c each: ALTER SYSTEM refuses to run inside a multi-statement query.
            command += ["-c", f"ALTER SYSTEM SET {setting} = {value}"]
        run([*command, "-c", "SELECT pg_reload_conf()"])

    def allow_replication(self) -> None:
        """Let the broadsheet role stream WAL over loopback (the replica's pg_basebackup).

        initdb writes such a line; clusters whose pg_hba.conf lacks one get it
        here, on every start, and the pg_reload_conf() of configure() applies it.
        """
        hba_file = self.home() / "data" / "pg_hba.conf"
        entries = [line.split() for line in hba_file.read_text().splitlines() if not line.startswith("#")]
        accepted = (REPLICATION_ENTRY[:4], ["host", "replication", "all", f"{HOST}/32"])
        if not any(entry[:4] in accepted for entry in entries):
            with hba_file.open("a") as hba:
                hba.write(" ".join(REPLICATION_ENTRY) + "\n")

    # -------------------------------------------------------- steps

    def _run_as_owner(self, command: list[str]) -> str:
        return run(command, as_user=PG_SYSTEM_USER if running_as_root() else None)

    def _make_dirs(self, home: Path, socket_dir: Path) -> None:
        if running_as_root() and home.is_relative_to(ROOT_PG_PARENT):
            # The postgres user must be able to enter each parent, whatever root's umask.
            for parent in reversed(home.parents):
                if parent.is_relative_to(ROOT_PG_PARENT):
                    parent.mkdir(parents=True, exist_ok=True)
                    parent.chmod(0o755)
        for directory in (home, socket_dir):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if running_as_root():
                shutil.chown(directory, PG_SYSTEM_USER, PG_SYSTEM_USER)

    def _init_cluster(self, data_dir: Path) -> None:
        command = [pg_binary("initdb"), "--pgdata", str(data_dir), "--username", "postgres"]
        command += ["--encoding", "UTF8", "--locale", "C.UTF-8"]
        # No password over the socket: its directory is private to the cluster's owner.
        command += ["--auth-local", "trust", "--auth-host", "scram-sha-256"]
        self._run_as_owner(command)

    def _server_options(self, socket_dir: Path) -> str:
        options = [
            f"-p {self.port}",
            f"-c listen_addresses={HOST}",
            f"-k {shlex.quote(str(socket_dir))}",
            "-c unix_socket_permissions=0700",
        ]
        return " ".join(options)

    def _psql(self, socket_dir: Path, sql: str) -> str:
        command = [pg_binary("psql"), "-X", "-qtA", "-v", "ON_ERROR_STOP=1", "-h", str(socket_dir)]
        command += ["-p", str(self.port), "-U", "postgres", "-d", "postgres", "-c", sql]
        return run(command).strip()

    def _create_role_and_database(self, socket_dir: Path) -> None:
        # Superuser so that pytest-django can create test databases and migrations
        # can create extensions; the cluster listens on loopback only.
        self._psql(
            socket_dir,
            f"""DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DB_USER}') THEN
                    CREATE ROLE {DB_USER} LOGIN SUPERUSER PASSWORD '{DB_PASSWORD}';
                  END IF;
                END $$;""",
        )
        if not self._psql(socket_dir, f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"):  # noqa: S608
            self._psql(socket_dir, f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}")
