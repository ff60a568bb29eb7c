"""Issue 10's scenario: every page type's SQL, cold, at each database size, and
a worker's memory after load.

Per database size, one probe process with the cache off (BROADSHEET_CACHE=off:
every request runs every query of its page) requests each page type three
times and keeps the median SQL time (tests/bench/scale_probe.py): posts at both
ends and the middle of the archive, the smallest, a middling and the largest
tag, a category, an author, an old year and month, searches, and each view of
the editors' change list. The ratio of the largest size to the smallest shows
what grows with the table.

Then gunicorn with deploy settings serves a load run (Locust) on the home
page and a post page, and each worker's resident memory (VmRSS) is read after
it, beside the throughput.
"""

import os
from pathlib import Path

from .harness import (
    GUNICORN_WORKERS,
    gunicorn_server,
    json_from_module,
    machine_description,
    markdown_table,
    run_load,
    say,
    today,
)

NAME = "scale"
SLOW_SQL_MS = 50
MEMORY_GOAL_MB = 64


def probe_cold_pages(database):
    return json_from_module("tests.bench.scale_probe", env={**database.env, "BROADSHEET_CACHE": "off"})


def gunicorn_worker_pids(base_url):
    """The workers of the gunicorn bound to base_url: processes whose parent has the same command line."""
    bind = base_url.removeprefix("http://")
    command_lines = {}
    parents = {}
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            command_line = (process / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = (process / "status").read_text()
        except OSError:
            continue
        if "gunicorn" in command_line and bind in command_line:
            command_lines[int(process.name)] = command_line
            parents[int(process.name)] = int(status.split("PPid:", 1)[1].split()[0])
    return sorted(pid for pid, parent in parents.items() if parent in command_lines)


def resident_megabytes(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:", 1)[1].split()[0]) / 1024


def memory_after_load(database, post_path):
    rows = []
    with gunicorn_server(database) as base_url:
        for label, path in [("home page", "/"), ("a post page", post_path)]:
            say(f"load: {database.posts} {label}")
            load = run_load(base_url, path, f"scale {database.posts} {label}")
            rows.append((label, load))
        worker_megabytes = [resident_megabytes(pid) for pid in gunicorn_worker_pids(base_url)]
    return rows, worker_megabytes


def cold_table(databases, measured_by_size):
    sizes = [database.posts for database in databases]
    headers = ["page"]
    for size in sizes:
        headers += [f"queries at {size:,}", f"SQL ms at {size:,}"]
    if len(sizes) > 1:
        headers.append(f"ratio {sizes[-1]:,} ÷ {sizes[0]:,}")
    headers += [f"slowest query ms at {sizes[-1]:,}", "detail"]
    rows = []
    largest = measured_by_size[sizes[-1]]
    for index, page in enumerate(largest):
        row = [page["label"]]
        for size in sizes:
            measure = measured_by_size[size][index]
            slow = " **slow**" if measure["sql_ms"] > SLOW_SQL_MS else ""
            status = "" if measure["status"] == 200 else f" ({measure['status']})"
            row += [measure["queries"], f"{measure['sql_ms']:.1f}{slow}{status}"]
        if len(sizes) > 1:
            smallest_ms = measured_by_size[sizes[0]][index]["sql_ms"]
            row.append(f"{page['sql_ms'] / smallest_ms:.1f}" if smallest_ms else "n/a")
        row += [f"{page['slowest_ms']:.1f}", page["detail"]]
        rows.append(row)
    return markdown_table(headers, rows)


def load_average():
    return Path("/proc/loadavg").read_text().split()[0]


def run(databases):
    loads_before = load_average()
    measured_by_size = {}
    memory_rows = []
    for database in databases:
        say(f"cold SQL of every page type: {database.name}")
        measured = probe_cold_pages(database)
        measured_by_size[database.posts] = measured
        post_path = next(page["path"] for page in measured if page["label"] == "post, middle")
        loads, worker_megabytes = memory_after_load(database, post_path)
        for label, load in loads:
            memory_rows.append(
                [
                    f"{database.posts:,}",
                    label,
                    f"{load.requests_per_second:.1f}",
                    f"{load.p50_ms:.0f}",
                    f"{load.p99_ms:.0f}",
                    load.failures,
                    ", ".join(f"{megabytes:.1f}" for megabytes in worker_megabytes),
                ]
            )
    loads_after = load_average()
    slow_at_largest = [
        page["label"] for page in measured_by_size[databases[-1].posts] if page["sql_ms"] > SLOW_SQL_MS
    ]
    verdict = (
        f"Every page type under {SLOW_SQL_MS} ms of SQL at {databases[-1].posts:,} posts."
        if not slow_at_largest
        else f"Over {SLOW_SQL_MS} ms at {databases[-1].posts:,} posts: {', '.join(slow_at_largest)}."
    )
    return "\n\n".join(
        [
            "## Scale: every page type's SQL, cold, as the table grows",
            f"Measured {today()} on {machine_description()}.",
            "SQL time of one request with the cache off (`BROADSHEET_CACHE=off`, so every query of the "
            "page runs), median of 3, in-process through a connection wrapper "
            "(tests/bench/scale_probe.py); each request from its own client address. The ratio is the "
            "largest size's SQL time over the smallest's: 1 means the page does not grow with the table. "
            f"Wall time, so it includes waiting for a CPU: the machine's 1-minute load average was "
            f"{loads_before} before this scenario and {loads_after} after it ({os.cpu_count()} cores). "
            f"{verdict}",
            cold_table(databases, measured_by_size),
            "### Worker memory after load",
            f"gunicorn with deploy settings ({GUNICORN_WORKERS} sync workers, cache on), Locust on each "
            "page in turn; then each worker's resident memory (VmRSS). "
            f"Goal: {MEMORY_GOAL_MB} MB or less per worker.",
            markdown_table(
                ["posts", "page", "req/s", "p50 ms", "p99 ms", "failures", "worker RSS MB after both loads"],
                memory_rows,
            ),
        ]
    )
