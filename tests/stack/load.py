"""`make loadtest`: readers and editors against the stack's nginx for
LOADTEST_SECONDS (default 60); writes requests/s, p50/p95/p99 and errors by
status and endpoint into docs/reliability.md, and checks the editors' saves."""

import os
from collections import Counter

from tests.support.documents import markdown_table, today

from .harness import (
    LoadRun,
    check_saves,
    is_server_error,
    load_figures,
    machine_description,
    save_problems,
    say,
    setup_django,
    status_summary,
    update_section,
)

SECONDS = int(os.environ.get("LOADTEST_SECONDS", "60"))


def figures_table(requests):
    rows = []
    for label, kind in (("readers", "reader"), ("editors", "editor"), ("all", None)):
        figures = load_figures(requests, kind)
        rows.append(
            [
                label,
                figures.requests,
                f"{figures.requests_per_second:.1f}",
                f"{figures.p50_ms:.0f}",
                f"{figures.p95_ms:.0f}",
                f"{figures.p99_ms:.0f}",
                status_summary(figures.errors_by_status),
            ]
        )
    return markdown_table(["users", "requests", "requests/s", "p50 ms", "p95 ms", "p99 ms", "errors"], rows)


def endpoints_table(requests):
    by_endpoint = {}
    for request in requests:
        by_endpoint.setdefault((request.kind, request.method, request.name), []).append(request)
    rows = []
    for (kind, method, name), chosen in sorted(by_endpoint.items()):
        figures = load_figures(chosen)
        rows.append(
            [
                kind,
                f"{method} {name}",
                figures.requests,
                f"{figures.p50_ms:.0f}",
                f"{figures.p95_ms:.0f}",
                f"{figures.p99_ms:.0f}",
                status_summary(figures.errors_by_status),
            ]
        )
    return markdown_table(["users", "endpoint", "requests", "p50 ms", "p95 ms", "p99 ms", "errors"], rows)


def main():
    setup_django()
    say(f"load: {SECONDS}s of readers and editors against the stack")
    run = LoadRun("load", SECONDS).start().wait()
    requests, saves = run.requests(), run.saves()
    saves_check = check_saves(saves)
    body = f"""## Load: readers and editors together

`make loadtest` (LOADTEST_SECONDS={SECONDS}), {today()}; {machine_description()};
{run.readers} readers and {run.editors} editors (Locust), every request through nginx.

{figures_table(requests)}

Editors' saves (create with a hero image, edit, publish, bulk publish):
{saves_check.acknowledged} acknowledged, {saves_check.found} found in the database,
{len(saves_check.lost)} lost, {len(saves_check.duplicated)} duplicated, {saves_check.refused} refused
with a message shown to the editor, {len(saves_check.errored)} answered with an error.

By endpoint:

{endpoints_table(requests)}
"""
    update_section("load", body)
    say(f"load: {len(requests)} requests; written to docs/reliability.md")
    # Under load alone, with every service up, nothing may fail: a reader's
    # error or an editor's, or a save lost, duplicated or half-written.
    problems = save_problems(saves_check)
    reader_errors = load_figures(requests, "reader").errors_by_status
    # An editor's refusals are judged with the saves; here only what no editor should ever meet.
    editor_errors = Counter(
        request.status for request in requests if request.kind == "editor" and is_server_error(request)
    )
    editor_errors.pop(503, None)
    if reader_errors:
        problems.append(f"reader errors: {status_summary(reader_errors)}")
    if editor_errors:
        problems.append(f"editor server errors: {status_summary(editor_errors)}")
    if problems:
        raise SystemExit("load: FAILED - " + "; ".join(problems))


if __name__ == "__main__":
    main()
