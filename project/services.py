"""Start, stop and check the project's own services for development and tests.

    python -m project.services start [NAME ...]   start (or reuse) and wait until ready
    python -m project.services stop [NAME ...]    stop cleanly
    python -m project.services status [NAME ...]  one line each; exit 1 if any is down
    python -m project.services reset [NAME ...]   stop and delete the data
    python -m project.services env                shell `export` lines for the URLs
    python -m project.services apt-packages       Debian packages still to install

NAME is one of postgres, redis-broker, redis-cache, s3; none means all four.
Every service listens on 127.0.0.1 only and keeps its data under .services/ at
the project root, so several checkouts never share a database or a bucket
(as root, PostgreSQL may live in /var/lib/broadsheet instead: see postgres_home).

The S3 endpoint is s3rver (npm, pinned in package.json): it stores objects as
files, so uploads survive restarts, which moto's in-memory server does not. It
knows one access key, S3RVER (SigV4 signatures are not checked), ignores ACLs
and bucket policies (PutBucketPolicy answers NotImplemented) and serves every
object to anonymous requests: fine for a loopback-only dev server, and exactly
what public media URLs need.

Ports come from BROADSHEET_PG_PORT, BROADSHEET_REDIS_BROKER_PORT,
BROADSHEET_REDIS_CACHE_PORT and BROADSHEET_S3_PORT when set. BROADSHEET_PG_FAST=1
turns off PostgreSQL's fsync for test runs; each start applies the setting of
its own environment, even to a server that is already running.

This module uses the standard library only: the Makefile runs it as a script
before the virtualenv exists, to list the Debian packages to install.
"""

import contextlib
import fcntl
import hashlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SERVICES_DIR = PROJECT_ROOT / ".services"
HOST = "127.0.0.1"

PG_PORT = int(os.environ.get("BROADSHEET_PG_PORT", "55432"))
REDIS_BROKER_PORT = int(os.environ.get("BROADSHEET_REDIS_BROKER_PORT", "56379"))
REDIS_CACHE_PORT = int(os.environ.get("BROADSHEET_REDIS_CACHE_PORT", "56380"))
S3_PORT = int(os.environ.get("BROADSHEET_S3_PORT", "59000"))

# Credentials of loopback-only development services, not secrets. S3RVER is
# the only access key that s3rver knows.
DB_NAME = DB_USER = DB_PASSWORD = "broadsheet"  # noqa: S105
S3_ACCESS_KEY = S3_SECRET_KEY = "S3RVER"  # noqa: S105
S3_BUCKET = "broadsheet-media"
S3_TEST_BUCKET = "broadsheet-test"
S3_REGION = "us-east-1"

DATABASE_URL = f"postgres://{DB_USER}:{DB_PASSWORD}@{HOST}:{PG_PORT}/{DB_NAME}"
BROKER_URL = f"redis://{HOST}:{REDIS_BROKER_PORT}/0"
CACHE_URL = f"redis://{HOST}:{REDIS_CACHE_PORT}/0"
S3_ENDPOINT_URL = f"http://{HOST}:{S3_PORT}"

SERVICE_NAMES = ("postgres", "redis-broker", "redis-cache", "s3")
SERVICE_PORTS = {
    "postgres": PG_PORT,
    "redis-broker": REDIS_BROKER_PORT,
    "redis-cache": REDIS_CACHE_PORT,
    "s3": S3_PORT,
}
SERVICE_URLS = {
    "postgres": DATABASE_URL,
    "redis-broker": BROKER_URL,
    "redis-cache": CACHE_URL,
    "s3": S3_ENDPOINT_URL,
}

# The root-only home for PostgreSQL when the checkout's parents (often /root,
# mode 700) keep the postgres user out of .services/.
ROOT_PG_PARENT = Path("/var/lib/broadsheet")
PG_SYSTEM_USER = "postgres"

REDIS_BINARY = "/usr/bin/redis-server"
S3RVER_SCRIPT = PROJECT_ROOT / "node_modules" / "s3rver" / "bin" / "s3rver.js"


class ServiceError(Exception):
    """A service could not be started or stopped; the message says what to do."""


def service_urls() -> dict[str, str]:
    """Everything the settings need to reach the local services."""
    return {
        "DATABASE_URL": DATABASE_URL,
        "CACHE_URL": CACHE_URL,
        "BROKER_URL": BROKER_URL,
        "S3_ENDPOINT_URL": S3_ENDPOINT_URL,
        "S3_ACCESS_KEY": S3_ACCESS_KEY,
        "S3_SECRET_KEY": S3_SECRET_KEY,
        "S3_REGION": S3_REGION,
        "S3_BUCKET": S3_BUCKET,
        "S3_TEST_BUCKET": S3_TEST_BUCKET,
    }


# ---------------------------------------------------------------- helpers


def running_as_root() -> bool:
    return os.geteuid() == 0


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def port_is_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
        return True
    return False


def run(command: list[str], *, as_postgres: bool = False) -> str:
    """Run a command and return its output; raise with its output if it fails."""
    if as_postgres and running_as_root():
        command = ["runuser", "-u", PG_SYSTEM_USER, "--", *command]
    # cwd="/" because the postgres user may not be allowed into the caller's cwd.
    result = subprocess.run(command, capture_output=True, text=True, cwd="/", check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise ServiceError(f"`{shlex.join(command)}` failed:\n{output}")
    return result.stdout


def log_tail(log_file: Path, lines: int = 15) -> str:
    if not log_file.exists():
        return "(no log file)"
    return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])


def process_is_alive(pid: int) -> bool:
    """True for a live process; a zombie (killed, not yet reaped by init) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def read_pid_line(pid_file: Path) -> int | None:
    """The pid on the first line of a pid file, if there is one."""
    try:
        return int(pid_file.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def services_lock() -> Iterator[None]:
    """Serialise start/stop/reset, e.g. between parallel test workers."""
    SERVICES_DIR.mkdir(parents=True, exist_ok=True)
    with open(SERVICES_DIR / ".lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        yield


# ---------------------------------------------------------------- postgres


def postgres_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's binaries, e.g. /usr/lib/postgresql/15/bin."""
    candidates = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if path.parent.parent.name.isdigit()
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda bin_dir: int(bin_dir.parent.name))


def pg_binary(name: str) -> str:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise ServiceError("PostgreSQL is not installed: apt-get install postgresql")
    return str(bin_dir / name)


def postgres_user_can_enter(directory: Path) -> bool:
    # `test -x` as that user checks every parent directory too, ACLs included.
    command = ["runuser", "-u", PG_SYSTEM_USER, "--", "test", "-x", str(directory)]
    return subprocess.run(command, cwd="/", check=False).returncode == 0


def postgres_home() -> Path:
    """Holds the cluster's data/, socket/ and postgres.log."""
    local_home = SERVICES_DIR / "postgres"
    if not running_as_root():
        return local_home
    SERVICES_DIR.mkdir(parents=True, exist_ok=True)
    if postgres_user_can_enter(SERVICES_DIR):
        return local_home
    project_hash = hashlib.sha1(str(PROJECT_ROOT).encode(), usedforsecurity=False).hexdigest()[:12]
    return ROOT_PG_PARENT / project_hash / "postgres"


def postgres_socket_dir(home: Path) -> Path:
    socket_dir = home / "socket"
    # A Unix socket path may hold 107 bytes at most; deep checkouts go to /tmp.
    if len(str(socket_dir / f".s.PGSQL.{PG_PORT}")) > 100:
        home_hash = hashlib.sha1(bytes(home), usedforsecurity=False).hexdigest()[:12]
        socket_dir = Path(tempfile.gettempdir()) / f"broadsheet-pg-{home_hash}"
    return socket_dir


def make_postgres_dirs(home: Path, socket_dir: Path) -> None:
    if running_as_root() and home.is_relative_to(ROOT_PG_PARENT):
        # The postgres user must be able to enter each parent, whatever root's umask.
        for parent in (ROOT_PG_PARENT, home.parent):
            parent.mkdir(parents=True, exist_ok=True)
            parent.chmod(0o755)
    for directory in (home, socket_dir):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if running_as_root():
            shutil.chown(directory, PG_SYSTEM_USER, PG_SYSTEM_USER)


def postgres_is_up() -> bool:
    if postgres_bin_dir() is None:
        return False
    command = [pg_binary("pg_isready"), "--quiet", "-h", HOST, "-p", str(PG_PORT), "-t", "1"]
    return subprocess.run(command, check=False).returncode == 0


def init_postgres_cluster(data_dir: Path) -> None:
    command = [pg_binary("initdb"), "--pgdata", str(data_dir), "--username", "postgres"]
    command += ["--encoding", "UTF8", "--locale", "C.UTF-8"]
    # No password over the socket: its directory is private to the cluster's owner.
    command += ["--auth-local", "trust", "--auth-host", "scram-sha-256"]
    run(command, as_postgres=True)


def postgres_server_options(socket_dir: Path) -> str:
    options = [
        f"-p {PG_PORT}",
        f"-c listen_addresses={HOST}",
        f"-k {shlex.quote(str(socket_dir))}",
        "-c unix_socket_permissions=0700",
    ]
    return " ".join(options)


def psql(socket_dir: Path, sql: str, database: str = "postgres") -> str:
    command = [pg_binary("psql"), "-X", "-qtA", "-v", "ON_ERROR_STOP=1", "-h", str(socket_dir)]
    command += ["-p", str(PG_PORT), "-U", "postgres", "-d", database, "-c", sql]
    return run(command).strip()


def create_role_and_database(socket_dir: Path) -> None:
    # Superuser so that pytest-django can create test databases and migrations
    # can create extensions; the cluster listens on loopback only.
    psql(
        socket_dir,
        f"""DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DB_USER}') THEN
                CREATE ROLE {DB_USER} LOGIN SUPERUSER PASSWORD '{DB_PASSWORD}';
              END IF;
            END $$;""",
    )
    if not psql(socket_dir, f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"):  # noqa: S608
        psql(socket_dir, f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}")


def start_postgres() -> None:
    home = postgres_home()
    data_dir, socket_dir, log_file = home / "data", postgres_socket_dir(home), home / "postgres.log"
    make_postgres_dirs(home, socket_dir)
    if not (data_dir / "PG_VERSION").exists():
        init_postgres_cluster(data_dir)
    start = [pg_binary("pg_ctl"), "start", "--wait", "--timeout", "60", "--pgdata", str(data_dir)]
    start += ["--log", str(log_file), "--options", postgres_server_options(socket_dir)]
    try:
        run(start, as_postgres=True)
    except ServiceError as error:
        raise ServiceError(f"{error}\n--- {log_file}\n{log_tail(log_file)}") from None
    create_role_and_database(socket_dir)


def set_postgres_durability() -> None:
    """Apply BROADSHEET_PG_FAST to the running server; these settings need no restart."""
    # Off trades crash safety for speed: for throwaway test databases only.
    value = "off" if os.environ.get("BROADSHEET_PG_FAST") == "1" else "on"
    command = [pg_binary("psql"), "-X", "-qtA", "-v", "ON_ERROR_STOP=1", DATABASE_URL]
    for setting in ("fsync", "synchronous_commit", "full_page_writes"):
        # One -c each: ALTER SYSTEM refuses to run inside a multi-statement query.
        command += ["-c", f"ALTER SYSTEM SET {setting} = {value}"]
    run([*command, "-c", "SELECT pg_reload_conf()"])


def stop_postgres() -> None:
    data_dir = postgres_home() / "data"
    # The first line of postmaster.pid is the server's pid; it outlives a crash.
    server_pid = read_pid_line(data_dir / "postmaster.pid")
    if server_pid is not None and process_is_alive(server_pid):
        stop = [pg_binary("pg_ctl"), "stop", "--wait", "--mode", "fast", "--pgdata", str(data_dir)]
        run(stop, as_postgres=True)


def postgres_data_dirs() -> list[Path]:
    """Every place a cluster of this checkout may live, for reset."""
    home = postgres_home()
    if home.is_relative_to(ROOT_PG_PARENT):
        return [SERVICES_DIR / "postgres", home.parent]
    return [home]


# ---------------------------------------------------------------- redis

# The broker must never lose or evict a queued task; the cache may lose anything.
REDIS_INSTANCES = {
    "redis-broker": {
        "port": REDIS_BROKER_PORT,
        "options": ["--appendonly", "yes", "--maxmemory-policy", "noeviction"],
        "shutdown": ["SHUTDOWN"],
    },
    "redis-cache": {
        "port": REDIS_CACHE_PORT,
        "options": ["--appendonly", "no", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"],
        "shutdown": ["SHUTDOWN", "NOSAVE"],
    },
}


def redis_command(port: int, *arguments: str) -> bytes:
    """Send one command in the Redis protocol and return the raw reply."""
    request = f"*{len(arguments)}\r\n" + "".join(f"${len(arg)}\r\n{arg}\r\n" for arg in arguments)
    with socket.create_connection((HOST, port), timeout=2) as connection:
        connection.sendall(request.encode())
        return connection.recv(4096)


def redis_is_up(name: str) -> bool:
    try:
        # While it loads its append-only file Redis answers -LOADING, not +PONG.
        return redis_command(REDIS_INSTANCES[name]["port"], "PING") == b"+PONG\r\n"
    except OSError:
        return False


def start_redis(name: str) -> None:
    if not Path(REDIS_BINARY).exists():
        raise ServiceError("Redis is not installed: apt-get install redis-server")
    instance = REDIS_INSTANCES[name]
    data_dir = SERVICES_DIR / name
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = data_dir / "redis.log"
    command = [REDIS_BINARY, "--daemonize", "yes", "--bind", HOST, "--port", str(instance["port"])]
    command += ["--dir", str(data_dir), "--pidfile", str(data_dir / "redis.pid"), "--logfile", str(log_file)]
    command += ["--save", "", *instance["options"]]
    run(command)
    if not wait_until(lambda: redis_is_up(name), timeout=30):
        raise ServiceError(f"{name} did not answer PING on port {instance['port']}:\n{log_tail(log_file)}")


def redis_is_ours(name: str) -> bool:
    """Whether the Redis on the instance's port is the one our pid file names.

    Another checkout (or a system Redis) may listen on the port: it must never
    receive our SHUTDOWN."""
    our_pid = read_pid_line(SERVICES_DIR / name / "redis.pid")
    try:
        info = redis_command(REDIS_INSTANCES[name]["port"], "INFO", "server").decode(errors="replace")
    except OSError:
        return False
    served_by = re.search(r"process_id:(\d+)", info)
    return our_pid is not None and served_by is not None and int(served_by.group(1)) == our_pid


def stop_redis(name: str) -> None:
    instance = REDIS_INSTANCES[name]
    if port_is_open(instance["port"]) and not redis_is_ours(name):
        raise ServiceError(f"something not started from {PROJECT_ROOT} still serves port {instance['port']}")
    with contextlib.suppress(OSError):
        reply = redis_command(instance["port"], *instance["shutdown"])
        if reply.startswith(b"-"):
            raise ServiceError(f"{name} refused to shut down: {reply.decode().strip()}")
    if not wait_until(lambda: not port_is_open(instance["port"]), timeout=15):
        raise ServiceError(f"{name} is still listening on port {instance['port']}")


# ---------------------------------------------------------------- s3

S3_DIR = SERVICES_DIR / "s3"
S3_PID_FILE = S3_DIR / "s3rver.pid"
S3_LOG_FILE = S3_DIR / "s3rver.log"
S3_DATA_DIR = S3_DIR / "data"


def s3_is_up() -> bool:
    try:
        with urllib.request.urlopen(S3_ENDPOINT_URL + "/", timeout=1) as response:  # noqa: S310
            return b"ListAllMyBucketsResult" in response.read()
    except (OSError, urllib.error.URLError):
        return False


def s3rver_pid() -> int | None:
    """The pid in the pid file, if that process is still our s3rver."""
    pid = read_pid_line(S3_PID_FILE)
    if pid is None or not process_is_alive(pid):
        return None
    with contextlib.suppress(OSError):
        if b"s3rver" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    return None


def spawn_daemon(command: list[str], log_file: Path) -> int:
    """Start a command in its own session, detached from us; return its pid.

    The shell's background job is adopted by init when the shell exits, so the
    daemon outlives this process and is never left a zombie of it.
    """
    launcher = 'exec "$@" </dev/null >>"$LOG_FILE" 2>&1 & echo $!'
    shell = subprocess.run(
        ["sh", "-c", launcher, "sh", *command],
        env={**os.environ, "LOG_FILE": str(log_file)},
        capture_output=True,
        text=True,
        start_new_session=True,
        check=True,
    )
    return int(shell.stdout)


def start_s3() -> None:
    node = shutil.which("node")
    if node is None:
        raise ServiceError("Node.js is not installed: apt-get install nodejs npm")
    if not S3RVER_SCRIPT.exists():
        raise ServiceError(f"s3rver is not installed: run `npm ci` in {PROJECT_ROOT}")
    S3_DATA_DIR.mkdir(parents=True, exist_ok=True)
    command = [node, str(S3RVER_SCRIPT), "--directory", str(S3_DATA_DIR), "--address", HOST]
    command += ["--port", str(S3_PORT), "--no-vhost-buckets"]
    # Creates each bucket at startup, and leaves one that exists untouched.
    for bucket in (S3_BUCKET, S3_TEST_BUCKET):
        command += ["--configure-bucket", bucket]
    pid = spawn_daemon(command, S3_LOG_FILE)
    S3_PID_FILE.write_text(f"{pid}\n")
    wait_until(lambda: s3_is_up() or not process_is_alive(pid), timeout=30)
    if not s3_is_up():
        raise ServiceError(f"s3rver did not start on {S3_ENDPOINT_URL}:\n{log_tail(S3_LOG_FILE)}")


def stop_s3() -> None:
    pid = s3rver_pid()
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        if not wait_until(lambda: not process_is_alive(pid), timeout=10):
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not process_is_alive(pid), timeout=5)
    S3_PID_FILE.unlink(missing_ok=True)
    if not wait_until(lambda: not port_is_open(S3_PORT), timeout=5):
        raise ServiceError(f"something not started from {PROJECT_ROOT} still serves {S3_ENDPOINT_URL}")


# ---------------------------------------------------------------- all services


def is_up(name: str) -> bool:
    """True when the service answers as itself on its port."""
    if name == "postgres":
        return postgres_is_up()
    if name in REDIS_INSTANCES:
        return redis_is_up(name)
    if name == "s3":
        return s3_is_up()
    raise ValueError(f"unknown service {name!r}; choose from {', '.join(SERVICE_NAMES)}")


def _start_one(name: str) -> None:
    if name == "postgres":
        start_postgres()
    elif name in REDIS_INSTANCES:
        start_redis(name)
    else:
        start_s3()


def _stop_one(name: str) -> None:
    if name == "postgres":
        stop_postgres()
    elif name in REDIS_INSTANCES:
        stop_redis(name)
    else:
        stop_s3()


def _data_dirs(name: str) -> list[Path]:
    if name == "postgres":
        return postgres_data_dirs()
    if name in REDIS_INSTANCES:
        return [SERVICES_DIR / name]
    return [S3_DIR]


def _checked_names(names: Iterable[str] | None) -> list[str]:
    chosen = list(names or SERVICE_NAMES)
    for name in chosen:
        if name not in SERVICE_NAMES:
            raise ValueError(f"unknown service {name!r}; choose from {', '.join(SERVICE_NAMES)}")
    return chosen


def start(names: Iterable[str] | None = None) -> dict[str, str]:
    """Start the named services (all by default) unless they are up; wait until ready.

    Returns {name: "running" | "started"}; raises ServiceError if one failed.
    """
    with services_lock():
        return {name: _ensure_up(name) for name in _checked_names(names)}


def _ensure_up(name: str) -> str:
    state = _reuse_or_start(name)
    if name == "postgres":
        set_postgres_durability()
    return state


def _reuse_or_start(name: str) -> str:
    if is_up(name):
        return "running"
    port = SERVICE_PORTS[name]
    if port_is_open(port):
        # Either the service is still starting (Redis loading its data, say) or
        # a stranger holds the port; give the first a moment before blaming the second.
        if wait_until(lambda: is_up(name), timeout=10):
            return "running"
        raise ServiceError(
            f"port {port} is taken by something that is not {name}; see the BROADSHEET_*_PORT variables"
        )
    _start_one(name)
    return "started"


def stop(names: Iterable[str] | None = None) -> None:
    """Stop the named services (all by default); a stopped service is left alone."""
    with services_lock():
        for name in _checked_names(names):
            _stop_one(name)


def reset(names: Iterable[str] | None = None) -> None:
    """Stop the named services and delete their data."""
    with services_lock():
        for name in _checked_names(names):
            _stop_one(name)
            for directory in _data_dirs(name):
                shutil.rmtree(directory, ignore_errors=True)


def missing_packages() -> list[str]:
    """Debian packages still to install for the services to run."""
    missing = []
    if postgres_bin_dir() is None:
        missing.append("postgresql")
    if not Path(REDIS_BINARY).exists():
        missing.append("redis-server")
    if shutil.which("node") is None:
        missing.append("nodejs")
    if shutil.which("npm") is None and not S3RVER_SCRIPT.exists():
        missing.append("npm")
    return missing


# ---------------------------------------------------------------- command line


def print_line(name: str, state: str) -> None:
    print(f"{name:<13} {state:<8} {SERVICE_URLS[name]}")


def for_each_service(names: list[str], action: Callable[[str], str]) -> int:
    """Run action(name) for each service and print its outcome; 1 if any failed."""
    failed = False
    for name in _checked_names(names):
        try:
            print_line(name, action(name))
        except ServiceError as error:
            print(f"{name:<13} FAILED   {error}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


def command_start(names: list[str]) -> int:
    return for_each_service(names, lambda name: start([name])[name])


def command_stop(names: list[str]) -> int:
    def stop_one(name: str) -> str:
        stop([name])
        return "stopped"

    return for_each_service(names, stop_one)


def command_status(names: list[str]) -> int:
    all_up = True
    for name in _checked_names(names):
        up = is_up(name)
        all_up = all_up and up
        print_line(name, "up" if up else "down")
    return 0 if all_up else 1


def command_reset(names: list[str]) -> int:
    def reset_one(name: str) -> str:
        reset([name])
        return "reset"

    return for_each_service(names, reset_one)


def command_env(names: list[str]) -> int:
    for variable, value in service_urls().items():
        print(f"export {variable}={shlex.quote(value)}")
    return 0


def command_apt_packages(names: list[str]) -> int:
    missing = missing_packages()
    if missing:
        print(" ".join(missing))
    return 0


COMMANDS = {
    "start": command_start,
    "stop": command_stop,
    "status": command_status,
    "reset": command_reset,
    "env": command_env,
    "apt-packages": command_apt_packages,
}


def main(arguments: list[str]) -> int:
    if not arguments or arguments[0] not in COMMANDS:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    command, names = arguments[0], arguments[1:]
    unknown = sorted(set(names) - set(SERVICE_NAMES))
    if unknown:
        print(
            f"unknown service {', '.join(unknown)}; choose from {', '.join(SERVICE_NAMES)}", file=sys.stderr
        )
        return 2
    return COMMANDS[command](names)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
