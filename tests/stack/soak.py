"""`make soak`: the load of `make loadtest` for SOAK_SECONDS (default 600),
sampling every gunicorn worker's RSS and both Redis servers' memory every
10 s. Reports the growth after warm-up (goal: under 10%) and each worker's
steady RSS beside the 64 MB goal, in docs/reliability.md."""

import os
import statistics
import time
from pathlib import Path

from project.services import stack
from tests.support.documents import markdown_table, today

from .harness import (
    LoadRun,
    load_figures,
    machine_description,
    say,
    status_summary,
    update_section,
)

SOAK_SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
SAMPLE_EVERY = 10
# The first third of the run fills caches, connection pools and imports.
WARM_UP_FRACTION = 1 / 3
GROWTH_GOAL = 0.10
RSS_GOAL_MB = 64


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def take_sample(parts):
    """{series name: megabytes} for every gunicorn worker and both Redis servers."""
    sample = {}
    for name in stack.APP_SERVERS:
        for pid in parts[name].worker_pids():
            sample[f"{name} worker {pid}"] = rss_mb(pid)
    for name in ("redis-cache", "redis-broker"):
        sample[name] = parts[name].used_memory() / 1024 / 1024
    return sample


def growth_rows(samples):
    """One row per series: after warm-up, first and last value, growth and steady (median) value."""
    after_warm_up = samples[int(len(samples) * WARM_UP_FRACTION) :]
    rows = []
    for series in sorted({name for _, sample in samples for name in sample}):
        values = [sample[series] for _, sample in after_warm_up if series in sample]
        if len(values) < 2:
            rows.append([series, "-", "-", "-", "-", "replaced or gone during the run"])
            continue
        growth = (values[-1] - values[0]) / values[0] if values[0] else 0.0
        steady = statistics.median(values)
        is_worker = "worker" in series
        verdicts = ["under 10%" if growth < GROWTH_GOAL else "OVER 10%"]
        if is_worker:
            verdicts.append(f"{'under' if steady <= RSS_GOAL_MB else 'OVER'} {RSS_GOAL_MB} MB")
        rows.append(
            [
                series,
                f"{values[0]:.1f}",
                f"{values[-1]:.1f}",
                f"{growth:+.1%}",
                f"{steady:.1f}",
                ", ".join(verdicts),
            ]
        )
    return rows


def main():
    parts = stack.components()
    say(f"soak: {SOAK_SECONDS}s of load, sampling every {SAMPLE_EVERY}s")
    run = LoadRun("soak", SOAK_SECONDS).start()
    samples = []
    while run.process.poll() is None:
        samples.append((time.time(), take_sample(parts)))
        time.sleep(SAMPLE_EVERY)
    run.wait()
    requests = run.requests()
    figures = load_figures(requests)
    table = markdown_table(
        ["series", "MB after warm-up", "MB at the end", "growth", "steady MB (median)", "against the goals"],
        growth_rows(samples),
    )
    errors = status_summary(figures.errors_by_status)
    body = f"""## Soak: memory over a long run

`make soak` (SOAK_SECONDS={SOAK_SECONDS}, a sample every {SAMPLE_EVERY} s, {len(samples)} samples;
the first third is warm-up), {today()}; {machine_description()}.
{figures.requests} requests ({figures.requests_per_second:.1f}/s), errors: {errors}.
Gunicorn workers are measured by RSS, Redis by its own used_memory. Goals:
under {GROWTH_GOAL:.0%} growth after warm-up, and {RSS_GOAL_MB} MB per worker.

{table}
"""
    update_section("soak", body)
    say("written to docs/reliability.md")
    grown = [row[0] for row in growth_rows(samples) if "OVER 10%" in row[-1]]
    if grown:
        raise SystemExit(f"soak: FAILED - grew more than {GROWTH_GOAL:.0%} after warm-up: {', '.join(grown)}")


if __name__ == "__main__":
    main()
