"""Broadsheet in its deployed shape, on loopback: nginx (project/deploy/nginx.conf)
in front of Varnish, the edge cache (project/deploy/default.vcl), in front of
two gunicorn app servers (nginx goes straight to them while Varnish is down),
PostgreSQL and its streaming replica (the readers' reads), the broker and cache
Redis, SeaweedFS (S3), one Celery worker per queue and beat; pgBackRest
archives the primary's WAL and a `backups` process takes its full and
incremental backups (project/services/backups.py).

    python -m project.services.stack start    make stack: start (or reuse) everything
    python -m project.services.stack stop     make stack-stop
    python -m project.services.stack status   make stack-status: one line each

Each app server is its own process tree on its own port, as if on its own
machine, with the deploy settings reading .services/stack/config.json. The
stack's servers are its own too (ports picked once, kept in stack.json), so the
fault scenarios of tests/stack may kill them without touching the services the
tests and `make run` use. STACK_POSTS (default 2000) demo posts are seeded once.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from .backups import ArchivedPostgreSQL
from .base import Service
from .constants import (
    HOST,
    PROJECT_ROOT,
    S3_ACCESS_KEY,
    S3_BUCKET,
    S3_MIRROR_BUCKET,
    S3_REGION,
    S3_SECRET_KEY,
    SERVICES_DIR,
    database_url,
    http_url,
)
from .processes import (
    ServiceError,
    answers_http,
    command_line,
    end_process,
    free_port,
    log_tail,
    port_is_open,
    process_is_alive,
    read_pid_line,
    run_command_line,
    running_as_root,
    spawn_daemon,
    user_can_enter,
    wait_until,
)
from .programs import NGINX_BINARY, VARNISHD_BINARY
from .redis_server import BROKER_OPTIONS, CACHE_OPTIONS, RedisServer
from .replica import PostgresReplica
from .seaweedfs import SeaweedFS
from .table import services_lock

STACK_DIR = SERVICES_DIR / "stack"
STATE_FILE = STACK_DIR / "stack.json"
CONFIG_FILE = STACK_DIR / "config.json"
NGINX_TEMPLATE = PROJECT_ROOT / "project" / "deploy" / "nginx.conf"
NGINX_USER = "www-data"
VCL_TEMPLATE = PROJECT_ROOT / "project" / "deploy" / "default.vcl"
VARNISH_USER = "varnish"
VARNISH_STORAGE = os.environ.get("STACK_VARNISH_STORAGE", "malloc,256m")
APP_SERVERS = ("app-1", "app-2")
WORKER_QUEUES = ("high", "low")
GUNICORN_WORKERS = int(os.environ.get("STACK_GUNICORN_WORKERS", "2"))
DEMO_POSTS = int(os.environ.get("STACK_POSTS", "2000"))
EDITOR_USERNAME = "stack-editor"
PORT_NAMES = (
    "nginx", "varnish", *APP_SERVERS, "postgres", "redis-broker", "redis-cache", "s3", "postgres-replica"
)  # fmt: skip
REPLICATION_SLOT = "broadsheet_stack_replica"


# ---------------------------------------------------------------- state


def load_state() -> dict:
    """Ports and the editor's password, chosen at the first start and kept."""
    state = json.loads(STATE_FILE.read_text()) if STATE_FILE.exists() else None
    if state is not None and set(PORT_NAMES) <= set(state["ports"]):
        return state
    ports = state["ports"] if state else {}
    for name in (name for name in PORT_NAMES if name not in ports):
        port = free_port()
        while port in ports.values():
            port = free_port()
        ports[name] = port
    state = state or {"editor": {"username": EDITOR_USERNAME, "password": secrets.token_urlsafe(16)}}
    state["ports"] = ports
    STACK_DIR.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps(state, indent=2))
    STATE_FILE.chmod(0o600)
    return state


def base_url() -> str:
    return http_url(load_state()["ports"]["nginx"])


def deploy_config(ports: dict) -> dict:
    """config.json of the app servers, workers and beat: the deploy settings' only input."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": [HOST, "localhost"],
        "SITE_URL": http_url(ports["nginx"]),
        "DATABASE_URL": database_url(ports["postgres"]),
        "DATABASE_REPLICA_URLS": [database_url(ports["postgres-replica"])],
        "CACHE_URL": f"redis://{HOST}:{ports['redis-cache']}/0",
        "CELERY_BROKER_URL": f"redis://{HOST}:{ports['redis-broker']}/0",
        "AWS_STORAGE_BUCKET_NAME": S3_BUCKET,
        "AWS_MEDIA_MIRROR_BUCKET_NAME": S3_MIRROR_BUCKET,
        "AWS_S3_ENDPOINT_URL": http_url(ports["s3"]),
        "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
        "AWS_S3_REGION_NAME": S3_REGION,
        # Plain HTTP on loopback; a real deployment terminates TLS in front.
        "HTTPS": False,
        "TRUSTED_PROXIES": [HOST],
        # The harness's readers all come from loopback: one client to the miss budget.
        "PAGE_MISSES_PER_CLIENT": 1_000_000,
        "EDGE_PURGE_URLS": [http_url(ports["varnish"])],
    }


def deploy_env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings.deploy",
        "BROADSHEET_CONFIG": str(CONFIG_FILE),
        "PYTHONUNBUFFERED": "1",
    }


def manage(*arguments: str, config_file: Path = CONFIG_FILE) -> str:
    """Run manage.py under the deploy settings with the stack's config.json (or another one)."""
    completed = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT_ROOT,
        env={**deploy_env(), "BROADSHEET_CONFIG": str(config_file)},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise ServiceError(f"manage.py {' '.join(arguments)} failed:\n{completed.stdout}{completed.stderr}")
    return completed.stdout


# ---------------------------------------------------------------- processes


class StackProcess(Service):
    """A foreground program run detached, with its pid file and log in its directory."""

    def __init__(self, name: str, command: list[str], marker: bytes, *, port=None, ready_line=""):
        """marker: bytes of the command line that tell our process from a reused pid;
        ready_line: what the log says once the program is ready (for programs without a port)."""
        self.name, self.command, self.marker = name, command, marker
        self.port, self.ready_line = port, ready_line
        self.directory = STACK_DIR / name
        self.url = http_url(port) if port else "-"
        self.pid_file = self.directory / f"{name}.pid"
        self.log_file = self.directory / f"{name}.log"

    def pid(self) -> int | None:
        pid = read_pid_line(self.pid_file)
        if pid is not None and process_is_alive(pid) and self.marker in command_line(pid):
            return pid
        return None

    def is_up(self) -> bool:
        return self.pid() is not None and (self.port is None or self.answers())

    def answers(self) -> bool:
        return port_is_open(self.port)

    def ensure_up(self) -> str:
        if self.is_up():
            return "running"
        if self.port is not None and port_is_open(self.port) and self.pid() is None:
            raise ServiceError(f"port {self.port} is taken by something that is not the stack's {self.name}")
        self.start()
        return "started"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log_size = self.log_file.stat().st_size if self.log_file.exists() else 0
        pid = spawn_daemon(self.command, self.log_file, env=deploy_env())
        self.pid_file.write_text(f"{pid}\n")

        def ready_or_dead() -> bool:
            if not process_is_alive(pid):
                return True
            if self.ready_line:
                return self.ready_line in self.log_file.read_text(errors="replace")[log_size:]
            return self.answers()

        if not wait_until(ready_or_dead, timeout=90, interval=0.2) or not self.is_up():
            raise ServiceError(f"{self.name} did not start:\n{log_tail(self.log_file)}")

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            end_process(pid, timeout=30)
        self.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL the whole process tree, as losing the machine would."""
        pid = self.pid()
        if pid is None:
            raise ServiceError(f"{self.name} is not running")
        children = child_pids(pid)
        super().kill()
        for child in children:
            if process_is_alive(child):
                os.kill(child, signal.SIGKILL)

    def data_dirs(self) -> list[Path]:
        return [self.directory]


class AppServer(StackProcess):
    """gunicorn with the deploy settings; up when it answers HTTP."""

    def __init__(self, name: str, port: int):
        command = [sys.executable, "-m", "gunicorn", "project.wsgi:application"]
        command += ["--workers", str(GUNICORN_WORKERS), "--bind", f"{HOST}:{port}"]
        command += ["--config", str(PROJECT_ROOT / "project" / "deploy" / "gunicorn.conf.py")]
        command += ["--log-level", "warning"]
        command += ["--chdir", str(PROJECT_ROOT)]
        super().__init__(name, command, b"gunicorn", port=port)

    def answers(self) -> bool:
        return answers_http(f"{self.url}/robots.txt")

    def worker_pids(self) -> list[int]:
        pid = self.pid()
        return child_pids(pid) if pid else []


class Nginx(StackProcess):
    def __init__(self, port: int, edge_port: int, app_ports: list[int]):
        prefix = STACK_DIR / "nginx"
        self.config_file = prefix / "nginx.conf"
        self.edge_port, self.app_ports = edge_port, app_ports
        command = [NGINX_BINARY, "-p", f"{prefix}/", "-c", str(self.config_file), "-e", "logs/error.log"]
        super().__init__("nginx", command, b"nginx", port=port)

    def start(self) -> None:
        if not Path(NGINX_BINARY).exists():
            raise ServiceError("nginx is not installed: apt-get install nginx")
        for directory in ("logs", "temp"):
            (self.directory / directory).mkdir(parents=True, exist_ok=True)
        # Every request through the edge; the app servers themselves only while it is down.
        servers = [f"server {HOST}:{self.edge_port} max_fails=1 fail_timeout=5s;"]
        servers += [f"server {HOST}:{port} backup;" for port in self.app_ports]
        config = nginx_config(f"{HOST}:{self.port}", servers)
        if running_as_root():
            # The workers buffer uploads under temp/: as www-data when it can reach
            # the checkout, else (a checkout under /root) as root, on loopback only.
            if user_can_enter(NGINX_USER, self.directory):
                shutil.chown(self.directory / "temp", NGINX_USER)
            else:
                config = config.replace(f"user {NGINX_USER};", "user root;")
        self.config_file.write_text(config)
        super().start()


def nginx_config(listen: str, server_lines: list[str]) -> str:
    """project/deploy/nginx.conf with its placeholders filled."""
    servers = "\n".join(f"        {line}" for line in server_lines)
    return NGINX_TEMPLATE.read_text().replace("@LISTEN@", listen).replace("@APP_SERVERS@", servers)


class Varnish(StackProcess):
    """varnishd in the foreground (-F), its working directory (-n) under the stack's,
    where varnishstat and varnishadm find it: `varnishstat -n <directory>`."""

    def __init__(self, port: int, app_ports: list[int]):
        directory = STACK_DIR / "varnish"
        self.vcl_file = directory / "default.vcl"
        self.app_ports = app_ports
        command = varnishd_command(f"{HOST}:{port}", self.vcl_file, directory / "work", VARNISH_STORAGE)
        super().__init__("varnish", command, b"varnishd", port=port)

    def start(self) -> None:
        if not Path(VARNISHD_BINARY).exists():
            raise ServiceError("varnishd is not installed: apt-get install varnish varnish-modules")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.vcl_file.write_text(varnish_config([(HOST, port) for port in self.app_ports], [HOST]))
        self.command = [*self.command, *varnish_jail(self.directory)]
        super().start()


def varnishd_command(listen: str, vcl_file: Path, work_dir: Path, storage: str) -> list[str]:
    """varnishd in the foreground (-F), its admin port on loopback, picked free."""
    command = [VARNISHD_BINARY, "-F", "-a", listen, "-f", str(vcl_file), "-n", str(work_dir)]
    return [*command, "-s", storage, "-T", f"{HOST}:0"]


def varnish_jail(directory: Path) -> list[str]:
    """As root varnishd's child drops to the varnish user, which may not reach a
    checkout under /root: then it stays root (-j none), on loopback only."""
    if running_as_root() and not user_can_enter(VARNISH_USER, directory):
        return ["-j", "none"]
    return []


def varnish_config(app_servers: list[tuple[str, int]], purgers: list[str]) -> str:
    """project/deploy/default.vcl with its placeholders filled: one probed backend
    per app server, all in the director, and the addresses whose PURGE is obeyed."""
    backends, additions = [], []
    for number, (host, port) in enumerate(app_servers, start=1):
        fields = [f'.host = "{host}";', f'.port = "{port}";', ".probe = healthz;"]
        backends.append(f"backend app_{number} {{\n" + "".join(f"    {field}\n" for field in fields) + "}")
        additions.append(f"    app_servers.add_backend(app_{number});")
    return (
        VCL_TEMPLATE.read_text()
        .replace("@APP_SERVERS@", "\n\n".join(backends))
        .replace("@ADD_APP_SERVERS@", "\n".join(additions))
        .replace("@PURGERS@", "\n".join(f'    "{address}";' for address in purgers))
    )


def child_pids(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers, Celery's pool)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        children += [int(child) for child in task.read_text().split()]
    return children


def celery_worker(queue: str) -> StackProcess:
    command = [sys.executable, "-m", "celery", "-A", "project", "worker", "--queues", queue]
    command += ["--concurrency", "1", "--hostname", f"{queue}@stack", "--loglevel", "INFO"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return StackProcess(f"worker-{queue}", command, b"celery", ready_line=" ready.")


def celery_beat() -> StackProcess:
    schedule = STACK_DIR / "beat" / "celerybeat-schedule"
    command = [sys.executable, "-m", "celery", "-A", "project", "beat", "--schedule", str(schedule)]
    command += ["--loglevel", "INFO"]
    return StackProcess("beat", command, b"celery", ready_line="beat: Starting")


def backup_scheduler() -> StackProcess:
    """Full and incremental backups of the primary on their schedule."""
    command = [sys.executable, "-m", "project.services.backups", "schedule"]
    return StackProcess("backups", command, b"project.services.backups", ready_line="backups: scheduling")


def components() -> dict[str, Service]:
    """Every part of the stack by name, in start order."""
    ports = load_state()["ports"]
    # Its WAL archived and backed up by pgBackRest (project/services/backups.py).
    primary = ArchivedPostgreSQL("postgres", ports["postgres"], STACK_DIR / "postgres")
    return {
        "postgres": primary,
        "redis-broker": RedisServer(
            "redis-broker", ports["redis-broker"], STACK_DIR / "redis-broker", BROKER_OPTIONS, keeps_data=True
        ),
        "redis-cache": RedisServer(
            "redis-cache", ports["redis-cache"], STACK_DIR / "redis-cache", CACHE_OPTIONS, keeps_data=False
        ),
        "s3": SeaweedFS("s3", ports["s3"], STACK_DIR / "s3", (S3_BUCKET, S3_MIRROR_BUCKET)),
        "postgres-replica": PostgresReplica(
            "postgres-replica",
            ports["postgres-replica"],
            STACK_DIR / "postgres-replica",
            primary,
            REPLICATION_SLOT,
        ),
        "backups": backup_scheduler(),
        **{f"worker-{queue}": celery_worker(queue) for queue in WORKER_QUEUES},
        "beat": celery_beat(),
        **{name: AppServer(name, ports[name]) for name in APP_SERVERS},
        "varnish": Varnish(ports["varnish"], [ports[name] for name in APP_SERVERS]),
        "nginx": Nginx(ports["nginx"], ports["varnish"], [ports[name] for name in APP_SERVERS]),
    }


DATA_SERVICES = ("postgres", "redis-broker", "redis-cache", "s3", "postgres-replica")


def static_files_are_current() -> bool:
    """Whether collectstatic's manifest is newer than every source under static/."""
    manifest = PROJECT_ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    sources = [path for path in (PROJECT_ROOT / "static").rglob("*") if path.is_file()]
    return manifest.stat().st_mtime > max(path.stat().st_mtime for path in sources)


def prepare_database() -> None:
    """Schema, demo posts once, the load test's editor account and the static files.

    One Django start for the first three: each start costs seconds on a busy machine."""
    editor = load_state()["editor"]
    prepare = (
        "from django.contrib.auth import get_user_model\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', interactive=False, verbosity=0)\n"
        f"call_command('seed_demo', posts={DEMO_POSTS}, if_empty=True)\n"
        f"user, _ = get_user_model().objects.get_or_create(username={editor['username']!r})\n"
        "user.is_staff = user.is_superuser = True\n"
        f"user.set_password({editor['password']!r})\n"
        "user.save()\n"
    )
    manage("shell", "--command", prepare)
    # A wrong S3 key stops the start here, in one line, instead of failing uploads later.
    manage("check_media_bucket")
    if not static_files_are_current():
        manage("collectstatic", "--no-input", "--verbosity", "0")


# What names the stack's own services: it follows this checkout (a newer S3
# server has other keys), whatever an older checkout wrote.
SERVICE_KEYS = (
    "SITE_URL",
    "DATABASE_URL",
    "DATABASE_REPLICA_URLS",
    "CACHE_URL",
    "CELERY_BROKER_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_MEDIA_MIRROR_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_S3_REGION_NAME",
    "EDGE_PURGE_URLS",
)


def complete_config(ports: dict) -> None:
    """A config.json written by an older checkout gains the keys added since and
    the current service keys; its secret key and other values are kept."""
    config = json.loads(CONFIG_FILE.read_text())
    current = deploy_config(ports)
    completed = {**current, **config, **{key: current[key] for key in SERVICE_KEYS}}
    if completed != config:
        CONFIG_FILE.write_text(json.dumps(completed, indent=2))


def ensure_config() -> None:
    """config.json of the deploy settings: written once, completed with newer keys."""
    state = load_state()
    if not CONFIG_FILE.exists():
        CONFIG_FILE.write_text(json.dumps(deploy_config(state["ports"]), indent=2))
        CONFIG_FILE.chmod(0o600)
    complete_config(state["ports"])


def start() -> dict[str, str]:
    with services_lock(STACK_DIR):
        ensure_config()
        parts = components()
        states = {name: parts[name].ensure_up() for name in DATA_SERVICES}
        prepare_database()
        for name, part in parts.items():
            if name not in DATA_SERVICES:
                states[name] = part.ensure_up()
        return states


def stop() -> None:
    with services_lock(STACK_DIR):
        for part in reversed(components().values()):
            part.stop()


def main(arguments: list[str]) -> int:
    command = arguments[0] if arguments else ""
    if command == "start":
        for name, state in start().items():
            print(f"{name:<13} {state}")
        print(f"The stack answers at {base_url()}/ (admin: {EDITOR_USERNAME}, password in {STATE_FILE})")
        return 0
    if command == "stop":
        stop()
        print("stack stopped")
        return 0
    if command == "status":
        parts = components()
        states = {name: part.is_up() for name, part in parts.items()}
        for name, up in states.items():
            print(f"{name:<13} {'up' if up else 'down':<5} {parts[name].url}")
        return 0 if all(states.values()) else 1
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    run_command_line(main, "stack")
