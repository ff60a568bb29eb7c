"""What every benchmark scenario shares: seeded databases, a gunicorn server with
deploy settings, Locust load, in-process query counts, and the report file.

The harness process itself never imports Django: each database size gets its
own config.json, and Django runs in subprocesses (manage.py, gunicorn, the
probe) that read it, exactly as a deployed process would.
"""

import contextlib
import csv
import fcntl
import hashlib
import json
import os
import platform
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from project.services import constants
from project.services.processes import answers_http, free_port, wait_until
from tests.support import documents
from tests.support.documents import markdown_table, today  # noqa: F401 - the scenarios import them from here

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
RESULTS_DIR = PROJECT_ROOT / "bench-results"
PERFORMANCE_DOC = PROJECT_ROOT / "docs" / "performance.md"
SEED_DEMO_SOURCE = PROJECT_ROOT / "apps" / "blog" / "management" / "commands" / "seed_demo.py"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
PYTHON = sys.executable
# Redis database numbers of the benchmark: never the developer's cache or queue.
BENCH_REDIS_DB = 8
DEFAULT_SIZES = (10_000, 1_000_000)

LOAD_USERS = int(os.environ.get("BENCH_USERS", "8"))
LOAD_SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
GUNICORN_WORKERS = 2


def bench_sizes():
    """Post counts to run at: BENCH_SIZES=10000 for a quick run, default 10k and 1M."""
    raw = os.environ.get("BENCH_SIZES")
    return tuple(int(size) for size in raw.split(",")) if raw else DEFAULT_SIZES


@contextlib.contextmanager
def exclusive_run():
    """One benchmark at a time on this machine: a second run waits for the first.

    Two runs would skew each other's figures, and one may reseed (drop) the
    database the other is measuring.
    """
    RESULTS_DIR.mkdir(exist_ok=True)
    with (RESULTS_DIR / "bench.lock").open("w") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another benchmark is running; waiting for it to finish")
            fcntl.flock(lock_file, fcntl.LOCK_EX)
        yield


def say(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- machine


def machine_description(load=None):
    cpu_model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory_gib = 0.0
    with contextlib.suppress(OSError):
        match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        memory_gib = int(match.group(1)) / 1024 / 1024 if match else 0.0
    with contextlib.closing(admin_connection()) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres_version = cursor.fetchone()[0]
    return (
        f"{cpu_model}, {os.cpu_count()} cores, {memory_gib:.0f} GiB RAM; "
        f"Python {platform.python_version()}, PostgreSQL {postgres_version}; "
        f"gunicorn {GUNICORN_WORKERS} sync workers, "
        f"{load or f'Locust {LOAD_USERS} users for {LOAD_SECONDS}s per row'}, "
        "all on one machine over loopback"
    )


# ---------------------------------------------------------------- databases


def admin_connection(database=None):
    parts = urlsplit(constants.DATABASE_URL)
    connection = psycopg2.connect(
        host=parts.hostname,
        port=parts.port,
        user=parts.username,
        password=parts.password,
        dbname=database or parts.path.lstrip("/"),
    )
    connection.autocommit = True
    return connection


def with_redis_db(url, number):
    return url.rsplit("/", 1)[0] + f"/{number}"


class BenchDatabase:
    """A database seeded by seed_demo at one size, kept between runs while it still matches.

    The marker (a database comment) records the post count, a hash of
    seed_demo.py and how long seeding took; any difference means reseed.
    """

    def __init__(self, posts):
        self.posts = posts
        self.name = f"broadsheet_bench_{posts}"
        self.config_path = RESULTS_DIR / f"config-{self.name}.json"
        self.seed_seconds = None
        self.reused = False

    @property
    def url(self):
        parts = urlsplit(constants.DATABASE_URL)
        return urlunsplit(parts._replace(path=f"/{self.name}"))

    @property
    def expected_marker(self):
        digest = hashlib.sha256(SEED_DEMO_SOURCE.read_bytes()).hexdigest()[:12]
        return f"seed_demo posts={self.posts} source={digest}"

    def write_config(self):
        RESULTS_DIR.mkdir(exist_ok=True)
        config = {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "testserver"],
            "SITE_URL": "http://127.0.0.1",
            "DATABASE_URL": self.url,
            "CACHE_URL": with_redis_db(constants.CACHE_URL, BENCH_REDIS_DB),
            "CELERY_BROKER_URL": with_redis_db(constants.BROKER_URL, BENCH_REDIS_DB),
            "AWS_STORAGE_BUCKET_NAME": constants.S3_BUCKET,
            "AWS_S3_ENDPOINT_URL": constants.S3_ENDPOINT_URL,
            "AWS_ACCESS_KEY_ID": constants.S3_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": constants.S3_SECRET_KEY,
            # Plain HTTP on loopback: no SSL redirect, no secure-only cookies.
            "HTTPS": False,
            "DEBUG": False,
            # Locust talks to gunicorn directly: no proxy to trust.
            "BEHIND_PROXY": False,
        }
        self.config_path.write_text(json.dumps(config, indent=2))
        self.config_path.chmod(0o600)

    @property
    def env(self):
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
            "BROADSHEET_CONFIG": str(self.config_path),
            "PYTHONUNBUFFERED": "1",
        }

    def manage(self, *arguments):
        subprocess.run([PYTHON, "manage.py", *arguments], cwd=PROJECT_ROOT, env=self.env, check=True)

    def _marker(self):
        with contextlib.closing(admin_connection()) as connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [self.name],
            )
            row = cursor.fetchone()
        return None if row is None else (row[0] or "")

    def _recreate(self):
        with contextlib.closing(admin_connection()) as connection, connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def _set_marker(self, marker):
        with contextlib.closing(admin_connection()) as connection, connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("COMMENT ON DATABASE {} IS %s").format(sql.Identifier(self.name)), [marker]
            )

    def ensure_seeded(self):
        self.write_config()
        marker = self._marker()
        if marker and marker.startswith(self.expected_marker + " "):
            self.reused = True
            self.seed_seconds = float(marker.rsplit("seconds=", 1)[1])
            say(f"{self.name}: reusing ({marker})")
            self.manage("migrate", "--no-input", "--verbosity", "0")
            return
        say(f"{self.name}: creating and seeding {self.posts:,} posts")
        self._recreate()
        self.manage("migrate", "--no-input", "--verbosity", "0")
        started = time.monotonic()
        self.manage("seed_demo", "--posts", str(self.posts))
        self.seed_seconds = time.monotonic() - started
        self._set_marker(f"{self.expected_marker} seconds={self.seed_seconds:.1f}")
        self.settle()

    def settle(self):
        """VACUUM ANALYZE after the bulk load, so autovacuum does not wake up mid-measurement
        (and index-only scans find a visibility map)."""
        say(f"{self.name}: VACUUM ANALYZE")
        with contextlib.closing(admin_connection(self.name)) as connection, connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")

    def probe(self, command, argument):
        """Run `python -m tests.bench.probe command argument` on this database; its JSON answer."""
        return json_from_module("tests.bench.probe", command, json.dumps(argument), env=self.env)


def json_from_module(module, *arguments, env):
    """Run `python -m module arguments…` in the project with `env`; the JSON its last line prints."""
    completed = subprocess.run(
        [PYTHON, "-m", module, *arguments],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def collect_static(database):
    """The deploy settings serve versioned static files from a manifest: build it once."""
    say("collectstatic for the deploy settings")
    database.manage("collectstatic", "--no-input", "--verbosity", "0")


# ---------------------------------------------------------------- server


@contextlib.contextmanager
def gunicorn_server(database):
    """gunicorn with deploy settings on a free loopback port; yields its base URL."""
    port = free_port()
    log_path = RESULTS_DIR / f"gunicorn-{database.name}.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [
                PYTHON, "-m", "gunicorn", "project.wsgi:application",
                "--workers", str(GUNICORN_WORKERS), "--bind", f"127.0.0.1:{port}",
                "--log-level", "warning",
            ],
            cwd=PROJECT_ROOT,
            env=database.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        booted = wait_until(
            lambda: process.poll() is not None or answers_http(base_url + "/robots.txt", timeout=2),
            timeout=30,
            interval=0.2,
        )
        if not booted or process.poll() is not None:
            raise RuntimeError(f"gunicorn did not start; see {log_path}")
        say(f"gunicorn up at {base_url} ({GUNICORN_WORKERS} workers, {database.name})")
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def warm_up(base_url, path, requests=10):
    """A few requests first, so every worker has its connection and PostgreSQL its pages."""
    for _ in range(requests):
        with urllib.request.urlopen(base_url + path, timeout=60) as response:  # noqa: S310 - loopback
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")


# ---------------------------------------------------------------- load


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failures: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def run_load(base_url, path, label):
    """Locust, headless and bounded in time, hammering one path; figures from its CSV."""
    warm_up(base_url, path)
    csv_prefix = RESULTS_DIR / "locust" / re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    csv_prefix.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            PYTHON, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "-u", str(LOAD_USERS), "-r", str(LOAD_USERS), "-t", f"{LOAD_SECONDS}s",
            "--host", base_url, "--csv", str(csv_prefix), "--only-summary", "--loglevel", "WARNING",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "BENCH_PATH": path},
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    with open(f"{csv_prefix}_stats.csv", newline="") as stats_file:
        total = next(row for row in csv.DictReader(stats_file) if row["Name"] == "Aggregated")
    return LoadResult(
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        requests_per_second=float(total["Requests/s"]),
        p50_ms=float(total["50%"]),
        p99_ms=float(total["99%"]),
    )


WRK_CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "8"))
WRK_LATENCY_LINE = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
WRK_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(base_url, path, seconds):
    """wrk (Debian's, C and one thread per core: far less CPU than Locust for the
    same load) against one path; requests/s, p50/p99 and non-2xx/3xx answers."""
    completed = subprocess.run(
        ["wrk", "--threads", "2", "--connections", str(WRK_CONNECTIONS), "--duration", f"{seconds}s",
         "--latency", base_url + path],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    output = completed.stdout
    latencies = {
        percent: float(value) * WRK_UNITS_MS[unit]
        for percent, value, unit in WRK_LATENCY_LINE.findall(output)
    }
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    failures = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return LoadResult(
        requests=requests,
        failures=(int(failures.group(1)) if failures else 0)
        + (sum(int(count) for count in socket_errors.groups()) if socket_errors else 0),
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=latencies["50"],
        p99_ms=latencies["99"],
    )


# ---------------------------------------------------------------- report

HEADER = """# Performance

Written by `make bench` (`python -m tests.bench`); do not edit between the
markers by hand. Each section is one scenario, measured side by side with its
baseline in one run on the machine below. Figures from one machine are for
comparing rows with each other, not for capacity planning.
"""


def update_section(name, body):
    """Replace the text between <!-- bench:name --> and <!-- /bench:name -->, or append it."""
    documents.update_section(PERFORMANCE_DOC, "bench", name, body, header=HEADER)
