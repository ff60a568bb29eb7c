"""`make lighthouse`: what a browser makes of the real pages, into docs/performance.md.

    python -m tests.bench.lighthouse            every page, mobile and desktop, 3 runs each
    python -m tests.bench.lighthouse prepare    (run by the first, inside Django) the story with body images

The chapter: a back end answering in 200 ms can still take seconds in the
browser. Lighthouse 12 (npm, pinned in package.json) drives Debian's chromium
against gunicorn with the deploy settings on the demo database the benchmarks
use, one page at a time (the machine is shared with gunicorn), and the median
of 3 runs of each figure is written into its own section of performance.md.
A run Lighthouse itself aborts (a runtime error such as NO_NAVSTART, or a
lost connection to chromium) is retried up to twice, and the table says so.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .harness import (
    GUNICORN_WORKERS,
    PROJECT_ROOT,
    BenchDatabase,
    collect_static,
    exclusive_run,
    gunicorn_server,
    json_from_module,
    machine_description,
    markdown_table,
    say,
    today,
    update_section,
    warm_up,
)

NAME = "lighthouse"
DEMO_POSTS = 10_000
RUNS = 3
PRESETS = ("mobile", "desktop")
LIGHTHOUSE = PROJECT_ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME_PATH = "/usr/bin/chromium"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# Why a score below 100 is right, by page and category.
EXPECTED_BELOW_100 = {
    ("search", "seo"): "search results are `noindex` (X-Robots-Tag), as they should be: not for crawlers",
}
BODY_IMAGE_SLUG_MARKER = "lighthouse-body-image"
# A run Lighthouse aborts is tried again this many times before the whole
# measurement stops: NO_NAVSTART and its kin come from chromium, not the page.
MAX_RETRIES = 2
# What Lighthouse's CLI (lighthouse/cli/run.js) prints on stderr when it gives
# up on a run itself, before exiting 1 (or 67 for the protocol timeout).
ABORT_LINES = ("Runtime error encountered:", "Unable to connect to Chrome", "Debugger protocol timed out")


class LighthouseAborted(Exception):
    """Lighthouse gave up on the run itself; `code` is its runtime error's code."""

    def __init__(self, code, detail):
        super().__init__(f"Lighthouse aborted the run ({code}): {detail}")
        self.code = code


@dataclass
class Measured:
    """A report, and the codes of the runs Lighthouse aborted before it."""

    report: dict
    aborted: list


def run_lighthouse(url, preset, lighthouse=LIGHTHOUSE):
    """One Lighthouse run; its JSON report, or LighthouseAborted."""
    with tempfile.TemporaryDirectory() as directory:
        report_path = Path(directory) / "report.json"
        command = [
            str(lighthouse), url, "--output=json", f"--output-path={report_path}", "--quiet",
            f"--chrome-flags={CHROME_FLAGS}", "--only-categories=" + ",".join(CATEGORIES),
        ]  # fmt: skip
        if preset == "desktop":
            command.append("--preset=desktop")
        result = subprocess.run(
            command,
            env={**os.environ, "CHROME_PATH": CHROME_PATH},
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        # The CLI saves the report before it exits on a runtime error.
        report = json.loads(report_path.read_text()) if report_path.exists() else None
        runtime_error = (report or {}).get("runtimeError")
        if runtime_error:
            raise LighthouseAborted(runtime_error.get("code", "unknown"), runtime_error.get("message", ""))
        if result.returncode != 0:
            abort_line = next(
                (line for line in result.stderr.splitlines() if line.startswith(ABORT_LINES)), None
            )
            if abort_line is None:
                raise subprocess.CalledProcessError(result.returncode, command, result.stdout, result.stderr)
            raise LighthouseAborted(f"exit {result.returncode}", abort_line)
        return report


def run_with_retries(url, preset, lighthouse=LIGHTHOUSE):
    """run_lighthouse(), again after each run Lighthouse aborts, up to MAX_RETRIES times."""
    aborted = []
    while True:
        try:
            return Measured(run_lighthouse(url, preset, lighthouse), aborted)
        except LighthouseAborted as abort:
            aborted.append(abort.code)
            if len(aborted) > MAX_RETRIES:
                raise
            say(f"  {abort}; retry {len(aborted)}/{MAX_RETRIES}")


def figures(report):
    audits = report["audits"]
    scored = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    return {
        **scored,
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        # Audits that cost points outside performance (whose metrics the table shows).
        "failed": [
            audit_id
            for name in CATEGORIES
            if name != "performance"
            for audit_id in (ref["id"] for ref in report["categories"][name]["auditRefs"] if ref["weight"])
            if audits[audit_id].get("score") is not None and audits[audit_id]["score"] < 1
        ],
        "console_errors": len(audits.get("errors-in-console", {}).get("details", {}).get("items", [])),
    }


def median_figures(runs):
    """The median of each figure over the runs, taken separately; every retry of them."""
    lists = ("failed", "aborted")
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0] if key not in lists}
    median["failed"] = sorted({audit_id for run in runs for audit_id in run["failed"]})
    median["aborted"] = [code for run in runs for code in run["aborted"]]
    return median


def retries_cell(aborted):
    """The table's retries column: how many, and what Lighthouse said each time."""
    return f"{len(aborted)} ({', '.join(aborted)})" if aborted else "0"


def report(pages, measured, database):
    rows = []
    for (page, preset), result in measured.items():
        notes = [reason for (name, category), reason in EXPECTED_BELOW_100.items() if name == page]
        if result["failed"]:
            notes.append(
                "audits failed in some run: " + ", ".join(f"`{audit}`" for audit in result["failed"])
            )
        if result["console_errors"]:
            notes.append(f"{result['console_errors']:.0f} console errors")
        rows.append(
            [
                f"{page} (`{pages[page]}`)",
                preset,
                *(f"{result[name]:.0f}" for name in CATEGORIES),
                f"{result['lcp_ms']:,.0f}",
                f"{result['cls']:.3f}",
                f"{result['tbt_ms']:,.0f}",
                f"{result['bytes'] / 1024:,.0f}",
                retries_cell(result["aborted"]),
                "; ".join(notes) or "-",
            ]
        )
    table = markdown_table(
        [
            "page", "preset", "performance", "accessibility", "best practices", "SEO",
            "LCP ms", "CLS", "TBT ms", "transferred KiB", "retries", "notes",
        ],
        rows,
    )  # fmt: skip
    return f"""## Lighthouse: the pages in a browser

Measured {today()} on {machine_description().split("; gunicorn")[0]}, with
gunicorn ({GUNICORN_WORKERS} workers) and chromium on the same machine, which
was shared with other work: timings (LCP, TBT, and so the mobile performance
score, which multiplies CPU time by Lighthouse's 4x slowdown) are
pessimistic; the other scores and the bytes vary little.

`make lighthouse` (`python -m tests.bench.lighthouse`): Lighthouse 12 with
Debian's chromium (`{CHROME_FLAGS}`) against gunicorn with the deploy
settings on the {database.posts:,}-post demo database, warm caches, one page
at a time; each figure is the median of {RUNS} runs per page and preset
(Lighthouse's own `mobile` emulation with simulated slow 4G, and `--preset=desktop`).
The post is the newest story with a hero image, given two library images in
its body; the section, tag and author pages are that story's. A run that
Lighthouse itself aborted was run again (at most {MAX_RETRIES} times): "retries"
counts them over the row's runs, with Lighthouse's error code.

{table}
"""


def prepare_pages():
    """Inside Django: the story with a hero and body images; every page type's path."""
    import django

    django.setup()
    from django.core.files.base import ContentFile
    from django.db import transaction

    from apps.blog.models import Post
    from apps.images.models import LibraryImage
    from apps.images.thumbnails import refresh_thumbnails
    from tests.support.photos import photo_bytes

    post = Post.objects.published().exclude(hero_thumbnails={}).order_by("-published_at").first()
    if post is None:
        raise RuntimeError("the demo database has no published post with a hero image")
    body_images = []
    for number in (1, 2):
        alt_text = f"Harbour photograph {number} ({BODY_IMAGE_SLUG_MARKER})"
        library_image = LibraryImage.objects.filter(alt_text=alt_text).first()
        if library_image is None:
            with transaction.atomic():
                library_image = LibraryImage.objects.create(
                    file=ContentFile(
                        photo_bytes((1600, 1000), variant=number), name=f"lighthouse-{number}.jpg"
                    ),
                    alt_text=alt_text,
                    credit="Photo: Broadsheet demo",
                )
        refresh_thumbnails("images.LibraryImage", library_image.pk, "file")
        body_images.append(library_image)
    references = [f"![](image:{body_images[0].pk})", f'![](image:{body_images[1].pk} "The quay at noon")']
    if references[0] not in post.body:
        paragraphs = post.body.split("\n\n")
        paragraphs.insert(1, references[0])
        paragraphs.insert(4, references[1])
        post.body = "\n\n".join(paragraphs)
        post.save()
    search_word = max(post.title.split(), key=len).strip(".,:;!?“”\"'").lower()
    return {
        "home": "/",
        "category": post.category.get_absolute_url(),
        "tag": post.tags.order_by("pk").first().get_absolute_url(),
        "author": post.author.get_absolute_url(),
        "post": post.get_absolute_url(),
        "search": f"/search/?q={search_word}",
    }


def main():
    if not LIGHTHOUSE.exists():
        sys.exit("lighthouse is missing: `npm ci` installs the version pinned in package.json")
    if not Path(CHROME_PATH).exists():
        sys.exit("chromium is missing: `make browser-packages` installs Debian's package")
    database = BenchDatabase(DEMO_POSTS)
    database.ensure_seeded()
    collect_static(database)
    pages = json_from_module("tests.bench.lighthouse", "prepare", env=database.env)
    measured = {}
    with gunicorn_server(database) as base_url:
        for page, path in pages.items():
            warm_up(base_url, path, requests=3)
            for preset in PRESETS:
                runs = []
                for run in range(RUNS):
                    say(f"lighthouse {page} {preset} run {run + 1}/{RUNS}")
                    measured_run = run_with_retries(base_url + path, preset)
                    runs.append({**figures(measured_run.report), "aborted": measured_run.aborted})
                measured[(page, preset)] = median_figures(runs)
                say(
                    f"{page} {preset}: "
                    + ", ".join(f"{name} {measured[(page, preset)][name]:.0f}" for name in CATEGORIES)
                )
    update_section(NAME, report(pages, measured, database))
    say("written to docs/performance.md")


if __name__ == "__main__":
    if sys.argv[1:] == ["prepare"]:
        print(json.dumps(prepare_pages()))
    else:
        with exclusive_run():
            main()
