"""`make bench`: every scenario, side by side with its baseline, into docs/performance.md.

    python -m tests.bench                      10k and 1M posts, every scenario
    BENCH_SIZES=10000 python -m tests.bench    a quick run at 10k only
    BENCH_SCENARIOS=database python -m tests.bench

A scenario is a module here with NAME and run(databases) -> Markdown; its
section of docs/performance.md sits between <!-- bench:NAME --> markers, so
scenarios rewrite only their own figures.
"""

import os
import time

from . import caching, database, images, popularity, scale
from .harness import BenchDatabase, bench_sizes, collect_static, exclusive_run, say, update_section

SCENARIOS = [database, images, caching, scale, popularity]


def main():
    started = time.monotonic()
    wanted = os.environ.get("BENCH_SCENARIOS")
    scenarios = [scenario for scenario in SCENARIOS if not wanted or scenario.NAME in wanted.split(",")]
    databases = [BenchDatabase(size) for size in bench_sizes()]
    for bench_database in databases:
        bench_database.ensure_seeded()
    collect_static(databases[0])
    for scenario in scenarios:
        say(f"scenario: {scenario.NAME}")
        update_section(scenario.NAME, scenario.run(databases))
    say(f"done in {time.monotonic() - started:.0f}s; see docs/performance.md")


if __name__ == "__main__":
    with exclusive_run():
        main()
