"""`make faults`: each scenario kills one part of the stack under the load of
`make loadtest` and measures what readers, editors and thumbnails went through.

What must hold, checked per scenario:
- readers get no 5xx, except while PostgreSQL restarts: then only while it is
  down, and a first success within 5 s after it accepts connections again;
- every save an editor was told succeeded is in the database, once;
- every image uploaded during the run has all its aliases in the bucket within
  2 minutes of the fault ending.

FAULT_SECONDS (default 40) of load per scenario, with 3 editors (LOAD_EDITORS);
the fault starts after WARM_SECONDS and lasts OUTAGE_SECONDS. FAULTS=cache,broker
picks scenarios.
Writes the table into docs/reliability.md; exits 1 if anything did not hold.
"""

import os
import re
import signal
import time
from dataclasses import dataclass

from project.services import stack
from project.services.processes import wait_until
from tests.support.documents import markdown_table, today

from .harness import (
    LoadRun,
    check_saves,
    error_windows,
    is_server_error,
    load_figures,
    longest_window,
    machine_description,
    posts_with_images,
    save_problems,
    say,
    setup_django,
    status_summary,
    thumbnails_completed_at,
    update_section,
)

FAULT_SECONDS = int(os.environ.get("FAULT_SECONDS", "40"))
WARM_SECONDS = 10
OUTAGE_SECONDS = 10
THUMBNAILS_WITHIN = 120
POSTGRES_FIRST_SUCCESS_WITHIN = 5
# More editors than `make loadtest`, so that images are saved during each outage.
EDITORS = int(os.environ.get("LOAD_EDITORS", "3"))


@dataclass
class Fault:
    """When the fault began and ended (the service answering again), in time.time()."""

    started: float
    ended: float
    note: str = ""


def kill_for_a_while(name):
    def inject(parts):
        started = time.time()
        parts[name].kill()
        time.sleep(OUTAGE_SECONDS)
        parts[name].ensure_up()
        return Fault(started, time.time())

    return inject


def restart_postgres(parts):
    postgres = parts["postgres"]
    started = time.time()
    postgres.stop(mode="fast")
    postgres.start()
    return Fault(started, time.time(), "down from the fast shutdown until it accepted connections again")


def kill_worker_mid_thumbnail(parts):
    """SIGKILL the high-queue worker (main process and pool) while it makes thumbnails."""
    worker = parts["worker-high"]
    log = worker.log_file
    offset = log.stat().st_size

    def task_in_flight():
        text = log.read_text(errors="replace")[offset:]
        received = re.findall(r"generate_thumbnails\[([0-9a-f-]+)\] received", text)
        finished = set(re.findall(r"generate_thumbnails\[([0-9a-f-]+)\] (?:succeeded|retry|raised)", text))
        return [task for task in received if task not in finished]

    in_flight = wait_until(task_in_flight, timeout=FAULT_SECONDS - WARM_SECONDS, interval=0.05)
    started = time.time()
    worker.kill()
    note = f"killed during task {in_flight[0]}" if in_flight else "no thumbnail task was running: killed idle"
    worker.start()
    return Fault(started, time.time(), note)


def kill_one_gunicorn_worker(parts):
    worker_pid = parts["app-1"].worker_pids()[0]
    started = time.time()
    os.kill(worker_pid, signal.SIGKILL)
    wait_until(lambda: len(parts["app-1"].worker_pids()) == stack.GUNICORN_WORKERS, timeout=30)
    return Fault(started, time.time(), "gunicorn's master forks a new worker")


@dataclass
class Scenario:
    key: str
    title: str
    inject: object
    proves: str
    postgres: bool = False
    # Proves nothing unless an editor saved an image while the service was gone.
    needs_upload_during_fault: bool = False


SCENARIOS = [
    Scenario(
        "cache",
        "cache Redis killed 10 s, restarted",
        kill_for_a_while("redis-cache"),
        "the cache is an accelerator, never a dependency: pages render from PostgreSQL "
        "while it is gone, and sessions (cached_db) fall back to the database",
    ),
    Scenario(
        "broker",
        "broker Redis killed 10 s, restarted",
        kill_for_a_while("redis-broker"),
        "an editor's save never waits on the broker: a failed enqueue is dropped, "
        "and the beat sweep queues those images again",
        needs_upload_during_fault=True,
    ),
    Scenario(
        "s3",
        "S3 (SeaweedFS) killed 10 s, restarted",
        kill_for_a_while("s3"),
        "uploads are refused clearly while the bucket is gone (nothing half-saved), "
        "thumbnail tasks retry with backoff, and pages fall back to stored URLs",
    ),
    Scenario(
        "postgres",
        "PostgreSQL restarted (fast shutdown, start)",
        restart_postgres,
        "connection health checks drop dead connections: no app worker stays stuck, "
        "errors stop as soon as PostgreSQL accepts connections",
        postgres=True,
    ),
    Scenario(
        "celery",
        "Celery worker (high) SIGKILLed mid thumbnail task",
        kill_worker_mid_thumbnail,
        "a task lost with its worker is not lost for good: the sweep queues it again "
        "within a minute, well before the 15 min visibility timeout redelivers it",
    ),
    Scenario(
        "app-server",
        "app server SIGKILLed (whole process tree) 10 s, restarted",
        kill_for_a_while("app-1"),
        "nginx passes idempotent requests to the other app server; no reader sees the loss",
    ),
    Scenario(
        "replica",
        "read replica SIGKILLed 10 s, restarted",
        kill_for_a_while("postgres-replica"),
        "readers' pages fall back to the primary (one warning a minute) and go back to the "
        "replica when it returns; a query cut off mid-request is retried on the primary",
    ),
    Scenario(
        "gunicorn-worker",
        "one gunicorn worker SIGKILLed",
        kill_one_gunicorn_worker,
        "a request cut short on a dying worker is retried on the other app server",
    ),
]


@dataclass
class Outcome:
    scenario: Scenario
    fault: Fault
    requests: int
    reader_errors: str
    editor_errors: str
    longest_error_window: float
    reader_recovery: float | None
    saves: object
    images: int
    images_during_fault: int
    thumbnails_after: float | None
    broken: list
    caveat: str = ""


def run_scenario(scenario):
    say(f"{scenario.key}: {scenario.title}")
    parts = stack.components()
    run = LoadRun(f"fault-{scenario.key}", FAULT_SECONDS, editors=EDITORS).start()
    time.sleep(WARM_SECONDS)
    fault = scenario.inject(parts)
    run.wait()
    requests, saves = run.requests(), run.saves()
    # Checked from the end of the load on: the figure is an upper bound.
    completed_at = thumbnails_completed_at(saves, deadline=fault.ended + THUMBNAILS_WITHIN + 30)
    thumbnails_after = None if completed_at is None else completed_at - fault.ended
    return judge(scenario, fault, requests, saves, thumbnails_after)


def judge(scenario, fault, requests, saves, thumbnails_after):
    readers = [request for request in requests if request.kind == "reader"]
    windows = error_windows(requests)
    failed_reads = [request for request in readers if is_server_error(request)]
    broken = []
    reader_recovery = None
    if scenario.postgres:
        outside = [request for request in failed_reads if not fault.started <= request.at <= fault.ended + 5]
        if outside:
            broken.append(f"{len(outside)} reader errors outside the restart")
        first_success = min(
            (request.at for request in readers if request.ok and request.at >= fault.ended), default=None
        )
        reader_recovery = None if first_success is None else first_success - fault.ended
        if reader_recovery is None or reader_recovery > POSTGRES_FIRST_SUCCESS_WITHIN:
            broken.append("no reader success within 5 s of PostgreSQL accepting connections")
    elif failed_reads:
        broken.append(f"{len(failed_reads)} reader 5xx")
    if windows and not scenario.postgres:
        reader_recovery = windows[-1][1] - fault.ended
    saves_check = check_saves(saves)
    broken += save_problems(saves_check)
    images = posts_with_images(saves).count()
    acknowledged_creates = [
        save for save in saves if save["kind"] == "create" and save["event"] == "acknowledged"
    ]
    images_during_fault = sum(1 for save in acknowledged_creates if fault.started <= save["t"] <= fault.ended)
    caveat = ""
    if scenario.needs_upload_during_fault and not images_during_fault:
        caveat = "not exercised: no image was saved during the outage"
    if thumbnails_after is None or thumbnails_after > THUMBNAILS_WITHIN:
        broken.append("thumbnails incomplete 2 min after the fault")
    editor_figures = load_figures(requests, "editor")
    return Outcome(
        scenario=scenario,
        fault=fault,
        requests=len(requests),
        reader_errors=status_summary(load_figures(requests, "reader").errors_by_status),
        editor_errors=status_summary(editor_figures.errors_by_status),
        longest_error_window=longest_window(windows),
        reader_recovery=reader_recovery,
        saves=saves_check,
        images=images,
        images_during_fault=images_during_fault,
        thumbnails_after=thumbnails_after,
        broken=broken,
        caveat=caveat,
    )


def seconds(value):
    return "-" if value is None else f"{value:.1f} s"


def report(outcomes):
    rows = [
        [
            outcome.scenario.title,
            outcome.requests,
            outcome.reader_errors,
            outcome.editor_errors,
            seconds(outcome.longest_error_window) if outcome.longest_error_window else "none",
            seconds(outcome.fault.ended - outcome.fault.started),
            seconds(outcome.reader_recovery),
            f"{outcome.saves.acknowledged} / {outcome.saves.found}, {outcome.saves.refused} refused, "
            f"{len(outcome.saves.errored)} errored"
            + (f" ({len(outcome.saves.lost)} lost)" if outcome.saves.lost else "")
            + (f" ({len(outcome.saves.duplicated)} duplicated)" if outcome.saves.duplicated else ""),
            f"{outcome.images} images ({outcome.images_during_fault} saved during the fault), "
            + (
                f"all aliases {seconds(outcome.thumbnails_after)} after the fault"
                if outcome.thumbnails_after is not None
                else "INCOMPLETE"
            ),
            ("NO: " + "; ".join(outcome.broken)) if outcome.broken else f"yes {outcome.caveat}".strip(),
        ]
        for outcome in outcomes
    ]
    table = markdown_table(
        [
            "scenario",
            "requests",
            "reader errors",
            "editor errors",
            "longest reader error window",
            "fault lasted",
            "readers' first success after",
            "editor saves acknowledged / found",
            "thumbnails",
            "holds",
        ],
        rows,
    )
    proofs = "\n".join(
        f"- **{outcome.scenario.title}**: {outcome.scenario.proves}."
        + (f" ({outcome.fault.note}.)" if outcome.fault.note else "")
        for outcome in outcomes
    )
    body = f"""## Faults under load

`make faults` (FAULT_SECONDS={FAULT_SECONDS} of load per scenario, the fault after {WARM_SECONDS} s,
outages of {OUTAGE_SECONDS} s), {today()}; {machine_description()}.
Editors' errors are answers they saw (a refused upload, a save cut short by a
dying server): not acknowledged, so not counted as saves. "Fault lasted" ends
when the service answers again.

{table}

What each scenario proves:

{proofs}
"""
    update_section("faults", body)


def main():
    setup_django()
    chosen = os.environ.get("FAULTS", "").split(",") if os.environ.get("FAULTS") else None
    scenarios = [scenario for scenario in SCENARIOS if chosen is None or scenario.key in chosen]
    outcomes = []
    for scenario in scenarios:
        outcome = run_scenario(scenario)
        say(f"{scenario.key}: {'holds' if not outcome.broken else 'BROKEN: ' + '; '.join(outcome.broken)}")
        outcomes.append(outcome)
    report(outcomes)
    say("written to docs/reliability.md")
    if any(outcome.broken for outcome in outcomes):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
