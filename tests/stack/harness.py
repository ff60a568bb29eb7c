"""What the load test, the fault scenarios and the soak share: the stack, a
Locust run against its nginx, the figures drawn from the run's request log,
the editors' saves compared with the database, and docs/reliability.md.

Django is set up in this process with the stack's own deploy settings
(config.json under .services/stack/), so the checks read the very database and
bucket the app servers wrote to.
"""

import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from project.services import stack
from tests.support import documents

PROJECT_ROOT = stack.PROJECT_ROOT
RESULTS_DIR = PROJECT_ROOT / "bench-results" / "stack"
RELIABILITY_DOC = PROJECT_ROOT / "docs" / "reliability.md"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
READERS = int(os.environ.get("LOAD_READERS", "8"))
EDITORS = int(os.environ.get("LOAD_EDITORS", "2"))

DOC_HEADER = """# Reliability

Written by `make loadtest`, `make faults` and `make soak` (tests/stack/); do not
edit between the markers by hand. Every figure comes from the last run of the
target that owns its section, against the stack of `make stack`: nginx in front
of two gunicorn app servers, PostgreSQL, both Redis, SeaweedFS (S3), a Celery worker per
queue and beat, all on one machine over loopback. The load generator (Locust)
shares the machine's cores with the stack, so requests/s are what this machine
reached with both, not a capacity figure.
"""


def say(message):
    print(f"[stack {time.strftime('%H:%M:%S')}] {message}", flush=True)


def setup_django():
    """Django with the stack's deploy settings, for the checks that read its database and bucket."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings.deploy"
    os.environ["BROADSHEET_CONFIG"] = str(stack.CONFIG_FILE)
    import django

    django.setup()


# ---------------------------------------------------------------- load


class LoadRun:
    """Locust, headless and bounded in time, in the background; logs under run_dir."""

    def __init__(self, name, seconds, readers=READERS, editors=EDITORS):
        self.name, self.seconds = name, seconds
        self.run_dir = RESULTS_DIR / name
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.request_log = self.run_dir / "requests.csv"
        self.saves_log = self.run_dir / "saves.jsonl"
        self.readers, self.editors = readers, editors
        self.process = None

    def start(self):
        for log in (self.request_log, self.saves_log):
            log.unlink(missing_ok=True)
        editor = stack.load_state()["editor"]
        users = self.readers + self.editors
        env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "LOAD_REQUEST_LOG": str(self.request_log),
            "LOAD_SAVES_LOG": str(self.saves_log),
            "LOAD_EDITORS": str(self.editors),
            "LOAD_EDITOR_USERNAME": editor["username"],
            "LOAD_EDITOR_PASSWORD": editor["password"],
        }
        command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
        command += ["--users", str(users), "--spawn-rate", str(users), "--run-time", f"{self.seconds}s"]
        command += [
            "--host",
            stack.base_url(),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "10",
        ]
        with (self.run_dir / "locust.log").open("w") as locust_log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=locust_log, stderr=subprocess.STDOUT
            )
        self.started_at = time.time()
        return self

    def wait(self):
        self.process.wait(timeout=self.seconds + 120)
        self.ended_at = time.time()
        return self

    def requests(self):
        return read_requests(self.request_log)

    def saves(self):
        return read_saves(self.saves_log)


@dataclass
class Request:
    at: float
    kind: str
    method: str
    name: str
    status: int
    milliseconds: float
    ok: bool


def read_requests(path):
    if not path.exists():
        return []
    with path.open(newline="") as log:
        return [
            Request(float(at), kind, method, name, int(status), float(ms), outcome == "ok")
            for at, kind, method, name, status, ms, outcome in csv.reader(log)
        ]


def read_saves(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def is_server_error(request):
    """5xx, or no answer at all (status 0: connection refused or reset)."""
    return request.status >= 500 or request.status == 0


@dataclass
class LoadFigures:
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors_by_status: Counter
    errors_by_endpoint: Counter = field(default_factory=Counter)


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def load_figures(requests, kind=None):
    chosen = [request for request in requests if kind is None or request.kind == kind]
    if not chosen:
        return LoadFigures(0, 0.0, 0.0, 0.0, 0.0, 0.0, Counter())
    seconds = max(chosen[-1].at - chosen[0].at, 1.0)
    times = [request.milliseconds for request in chosen]
    failed = [request for request in chosen if not request.ok]
    return LoadFigures(
        requests=len(chosen),
        seconds=seconds,
        requests_per_second=len(chosen) / seconds,
        p50_ms=statistics.median(times),
        p95_ms=percentile(times, 0.95),
        p99_ms=percentile(times, 0.99),
        errors_by_status=Counter(request.status for request in failed),
        errors_by_endpoint=Counter(f"{request.status} {request.method} {request.name}" for request in failed),
    )


def error_windows(requests, kind="reader"):
    """[(first failure, next success)] of runs of server errors readers met, in time order."""
    windows, opened = [], None
    for request in sorted((r for r in requests if r.kind == kind), key=lambda r: r.at):
        if is_server_error(request):
            opened = request.at if opened is None else opened
        elif request.ok and opened is not None:
            windows.append((opened, request.at))
            opened = None
    if opened is not None:
        windows.append((opened, float("inf")))
    return windows


def longest_window(windows):
    return max((end - start for start, end in windows), default=0.0)


def status_summary(counter):
    counts = [f"{count} x {status or 'no answer'}" for status, count in sorted(counter.items())]
    return ", ".join(counts) or "none"


# ---------------------------------------------------------------- editors and thumbnails


# What an editor may be answered instead of a success: the form again with
# its errors (200), a conflict or a limit (409, 429), or the app's own
# "try again" page (503 with Retry-After; nginx answers 502 or 504 for a dead
# upstream, never 503). Anything else (500, 502, 504, no answer) is an error.
CLEAR_REFUSALS = {200, 409, 429, 503}


@dataclass
class SaveCheck:
    acknowledged: int
    found: int
    lost: list
    duplicated: list
    refused: int
    # Saves answered with a server error or nothing, instead of a clear refusal.
    errored: list = field(default_factory=list)
    # Errored creates whose post is in the database without its hero image.
    half_written: list = field(default_factory=list)


def check_saves(saves):
    """Every save an editor was told succeeded is in the database, once; every
    save that was not is a clear refusal, and left nothing half-written."""
    from apps.blog.models import Post

    acknowledged = [save for save in saves if save["event"] == "acknowledged"]
    not_acknowledged = [save for save in saves if save["event"] == "refused"]
    errored = [save for save in not_acknowledged if save.get("status") not in CLEAR_REFUSALS]
    half_written = [
        save
        for save in errored
        if save["kind"] == "create"
        and Post.objects.filter(title=f"Load {save['marker']}", hero_image="").exists()
    ]
    lost, duplicated, found = [], [], 0
    sent_edits = {}
    for save in saves:
        if save["kind"] == "edit" and save["event"] == "sent":
            sent_edits.setdefault(save["pk"], []).append(save["marker"])
    for save in acknowledged:
        if save["kind"] == "create":
            rows = Post.objects.filter(title=f"Load {save['marker']}").count()
            ok = rows == 1
            if rows > 1:
                duplicated.append(save["marker"])
        elif save["kind"] == "edit":
            # A later edit of the same post may have committed without an answer; it counts.
            markers = sent_edits[save["pk"]]
            later = markers[markers.index(save["marker"]) :]
            ok = Post.objects.filter(pk=save["pk"], excerpt__in=later).exists()
        else:
            published = Post.objects.filter(pk__in=save["pks"], status=Post.Status.PUBLISHED).count()
            ok = published == len(save["pks"])
        if ok:
            found += 1
        elif save["kind"] != "create" or rows == 0:
            lost.append(save)
    return SaveCheck(
        len(acknowledged),
        found,
        lost,
        duplicated,
        len(not_acknowledged) - len(errored),
        errored,
        half_written,
    )


def save_problems(saves_check):
    """What broke in the editors' saves, one phrase each; [] when every save held."""
    problems = []
    if saves_check.lost:
        problems.append(f"{len(saves_check.lost)} acknowledged saves lost")
    if saves_check.duplicated:
        problems.append(f"{len(saves_check.duplicated)} saves duplicated")
    if saves_check.errored:
        statuses = status_summary(Counter(save.get("status") or 0 for save in saves_check.errored))
        problems.append(
            f"{len(saves_check.errored)} saves answered with an error, not a refusal ({statuses})"
        )
    if saves_check.half_written:
        problems.append(f"{len(saves_check.half_written)} errored saves left a post without its image")
    return problems


def posts_with_images(saves):
    from apps.blog.models import Post

    markers = [save["marker"] for save in saves if save["kind"] == "create"]
    return Post.objects.filter(slug__in=markers).exclude(hero_image="")


def missing_thumbnails(saves):
    """Posts created in the run whose hero image lacks a stored alias (on the row or in the bucket)."""
    from django.core.files.storage import storages

    from apps.images.registry import thumbnail_field
    from apps.images.thumbnails import expected_thumbnail_names, thumbnails_are_current

    registered = thumbnail_field("blog.Post", "hero_image")
    thumbnail_storage = storages["thumbnails"]
    incomplete = []
    for post in posts_with_images(saves):
        source = post.hero_image.name
        if not thumbnails_are_current(post.hero_thumbnails, source, registered.aliases) or not all(
            thumbnail_storage.exists(name)
            for name in expected_thumbnail_names(source, registered.aliases).values()
        ):
            incomplete.append(post.pk)
    return incomplete


def thumbnails_completed_at(saves, deadline):
    """time.time() when every uploaded image had all its aliases, or None if not by the deadline."""
    from django.db import close_old_connections

    while True:
        close_old_connections()
        try:
            if not missing_thumbnails(saves):
                return time.time()
        except Exception as error:  # noqa: BLE001 - a service may still be coming back; try again
            say(f"thumbnail check failed ({error.__class__.__name__}); trying again")
        if time.time() > deadline:
            return None
        time.sleep(2)


# ---------------------------------------------------------------- the document


def machine_description():
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    load = os.getloadavg()[0]
    return (
        f"{cpu_model}, {os.cpu_count()} cores (load average {load:.1f} when the run ended: "
        f"other work shared the machine); Python {platform.python_version()}; "
        f"{len(stack.APP_SERVERS)} app servers of {stack.GUNICORN_WORKERS} gunicorn sync workers each"
    )


SECTION_ORDER = ("load", "faults", "soak", "backups", "migrations")


def update_section(name, body):
    """Rewrite this section of docs/reliability.md, keeping load, faults and soak in that order."""
    documents.update_section(
        RELIABILITY_DOC, "reliability", name, body, header=DOC_HEADER, order=SECTION_ORDER
    )
