"""`make lighthouse` retries a run Lighthouse itself aborts, at most twice, and
counts the retries; any other failure stops it at once.

The command is a stand-in executable that answers as Lighthouse's CLI does
(lighthouse/cli/run.js): on a runtime error it saves the report carrying
`runtimeError`, prints "Runtime error encountered:" and exits 1. A real
Lighthouse run takes chromium and seconds; its abort was checked by hand
against a closed port (CHROME_INTERSTITIAL_ERROR, reported the same way).
"""

import subprocess
import sys

import pytest

from tests.bench.lighthouse import (
    MAX_RETRIES,
    LighthouseAborted,
    median_figures,
    retries_cell,
    run_with_retries,
)

STAND_IN = """\
#!{python}
import json, sys
from pathlib import Path

calls = Path({calls!r})
calls.write_text(calls.read_text() + "x" if calls.exists() else "x")
outcomes = {outcomes!r}
outcome = outcomes[min(len(calls.read_text()), len(outcomes)) - 1]
report_path = next(arg.split("=", 1)[1] for arg in sys.argv if arg.startswith("--output-path="))
if outcome == "NO_NAVSTART":
    message = "Chrome didn't collect any screenshots during the page load."
    error = {{"code": "NO_NAVSTART", "message": message}}
    Path(report_path).write_text(json.dumps({{"runtimeError": error}}))
    print("Runtime error encountered:", message, file=sys.stderr)
    sys.exit(1)
if outcome == "no chrome":
    print("Unable to connect to Chrome", file=sys.stderr)
    sys.exit(1)
if outcome == "bad flag":
    print("Unknown argument: --presett", file=sys.stderr)
    sys.exit(1)
Path(report_path).write_text(json.dumps({{"lighthouseVersion": "12.8.2", "audits": {{}}}}))
"""


def stand_in_lighthouse(directory, outcomes):
    """An executable answering each call with the next of `outcomes` (the last one repeats)."""
    command = directory / "lighthouse"
    calls = directory / "calls"
    command.write_text(STAND_IN.format(python=sys.executable, calls=str(calls), outcomes=list(outcomes)))
    command.chmod(0o755)
    return command, calls


def test_a_run_lighthouse_aborts_is_run_again_and_counted(tmp_path):
    command, calls = stand_in_lighthouse(tmp_path, ["NO_NAVSTART", "no chrome", "report"])

    measured = run_with_retries("http://127.0.0.1:8000/search/?q=ferry", "mobile", lighthouse=command)

    assert measured.report["lighthouseVersion"] == "12.8.2"
    assert measured.aborted == ["NO_NAVSTART", "exit 1"]
    assert calls.read_text() == "xxx"


def test_a_run_aborted_once_more_than_the_retries_stops_the_measurement(tmp_path):
    command, calls = stand_in_lighthouse(tmp_path, ["NO_NAVSTART"])

    with pytest.raises(LighthouseAborted, match="NO_NAVSTART"):
        run_with_retries("http://127.0.0.1:8000/", "desktop", lighthouse=command)

    assert len(calls.read_text()) == MAX_RETRIES + 1


def test_a_failure_that_is_not_lighthouse_giving_up_is_not_retried(tmp_path):
    command, calls = stand_in_lighthouse(tmp_path, ["bad flag", "report"])

    with pytest.raises(subprocess.CalledProcessError):
        run_with_retries("http://127.0.0.1:8000/", "desktop", lighthouse=command)

    assert calls.read_text() == "x"


def test_the_table_counts_every_retry_of_a_rows_runs():
    figures = {"performance": 100, "lcp_ms": 900.0, "failed": []}
    runs = [{**figures, "aborted": aborted} for aborted in (["NO_NAVSTART"], [], ["NO_NAVSTART", "exit 1"])]

    assert retries_cell(median_figures(runs)["aborted"]) == "3 (NO_NAVSTART, NO_NAVSTART, exit 1)"
    assert retries_cell(median_figures([{**figures, "aborted": []}])["aborted"]) == "0"
