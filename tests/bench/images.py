"""Issue 6's scenario: pre-generated, optimized thumbnails against the alternatives.

1. Upload commit to every alias in the bucket: library images saved one at a
   time on the benchmark database, one real Celery worker process (solo pool)
   consuming `high` and `low`; the clock starts in the commit's first on_commit
   callback and stops when a listing of the real bucket shows every alias.
2. Bytes: the thumbnails the task stored (optimized WebP) against what
   easy-thumbnails writes by itself for the same aliases (WebP at its defaults,
   and its default JPEG), and against the uploaded originals.
3. A page of 20 thumbnails rendered three ways, storage requests counted by a
   proxy in front of the real S3 endpoint and queries by Django: easy-thumbnails'
   own `thumbnail_url` filter (thumbnails already exist), our tag before the
   task ran (on-the-fly fallback), and our tag warm (URLs stored on the row).

The harness runs this module twice: imported (no Django) to start the worker
and write the report, and as `python -m tests.bench.images` inside Django with
the benchmark's deploy settings to measure.
"""

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid

from project.services.processes import wait_until
from tests.support.queues import purge_task_queues

from .harness import (
    PROJECT_ROOT,
    PYTHON,
    RESULTS_DIR,
    json_from_module,
    machine_description,
    markdown_table,
    say,
    today,
)

NAME = "images"
UPLOADS = int(os.environ.get("BENCH_IMAGE_UPLOADS", "50"))
BYTES_SAMPLE = 10
PAGE_THUMBNAILS = 20
WARM_RENDERS = 5


@contextlib.contextmanager
def celery_worker(database):
    """One worker process, one task at a time, as a small deployment would run it."""
    log_path = RESULTS_DIR / f"celery-{database.name}.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [
                PYTHON, "-m", "celery", "-A", "project", "worker", "--queues", "high,low",
                "--pool", "solo", "--concurrency", "1", "--loglevel", "INFO",
                "--without-heartbeat", "--without-mingle", "--without-gossip",
            ],
            cwd=PROJECT_ROOT,
            env=database.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        ready = wait_until(
            lambda: process.poll() is not None or " ready." in log_path.read_text(), timeout=60, interval=0.2
        )
        if not ready or process.poll() is not None:
            raise RuntimeError(f"the Celery worker did not start; see {log_path}")
        say(f"celery worker up (solo pool, queues high and low, {database.name})")
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)


def run(databases):
    database = databases[0]
    with celery_worker(database):
        measured = json_from_module("tests.bench.images", str(UPLOADS), env=database.env)
    return report(measured)


def report(measured):
    latency, sizes, pages = measured["latency"], measured["bytes"], measured["pages"]
    optimized = sizes["optimized"]

    def saved(baseline):
        return f"{(1 - optimized / baseline) * 100:.0f}%"

    byte_rows = [
        [label, f"{sizes[key]:,}", saved(sizes[key])]
        for label, key in (
            ("uploaded originals (JPEG q92, 1600x1000), once each", "originals"),
            ("easy-thumbnails default JPEG (q85)", "easy_thumbnails_jpeg"),
            ("easy-thumbnails WebP (q85, method 4), unoptimized", "unoptimized"),
        )
    ]
    byte_rows.append(["stored by the task: WebP optimized (q78, method 6)", f"{optimized:,}", "-"])
    page_rows = [[row["label"], row["storage_requests"], row["queries"], f"{row['ms']:.1f}"] for row in pages]
    return "\n\n".join(
        [
            "## Images: pre-generated, optimized thumbnails",
            f"Measured {today()} on {machine_description()}. S3 is the local SeaweedFS over loopback; "
            "a real S3 adds tens of milliseconds to every storage request counted below.",
            f"**Upload commit to every alias in the bucket** ({latency['uploads']} uploads one after "
            f"another, {latency['aliases']} aliases each, one worker process): "
            f"p50 **{latency['p50_ms']:.0f} ms**, p95 **{latency['p95_ms']:.0f} ms**, "
            f"max {latency['max_ms']:.0f} ms.",
            f"**Bytes** for every alias of {sizes['images']} synthetic photo-like images "
            "(saved: how much smaller the stored thumbnails are than that row):",
            markdown_table(["output", "bytes", "stored thumbnails are smaller by"], byte_rows),
            f"**A page of {PAGE_THUMBNAILS} thumbnails** (teaser with its 2x srcset, so "
            f"{PAGE_THUMBNAILS * 2} images); storage requests counted by a proxy in front of the real "
            f"S3 endpoint, render time the median of {WARM_RENDERS} renders except the cold one:",
            markdown_table(["render", "storage requests", "queries", "ms"], page_rows),
        ]
    )


# ---------------------------------------------------------------- inside Django


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_upload_latency(uploads):
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from apps.images.models import LibraryImage
    from apps.images.registry import thumbnail_field
    from apps.images.thumbnails import expected_thumbnail_names
    from tests.support.photos import photo_bytes

    aliases = thumbnail_field("images.LibraryImage", "file").aliases
    bucket = default_storage.bucket
    latencies, created = [], []
    for number in range(uploads):
        upload = SimpleUploadedFile(f"bench-{number}.jpg", photo_bytes(variant=number))
        committed_at = []
        with transaction.atomic():
            # Registered first, so it runs first among the commit's callbacks.
            transaction.on_commit(lambda committed_at=committed_at: committed_at.append(time.perf_counter()))
            library_image = LibraryImage.objects.create(file=upload, alt_text=f"Benchmark upload {number}")
        expected = set(expected_thumbnail_names(library_image.file.name, aliases).values())
        while not expected <= {
            stored.key for stored in bucket.objects.filter(Prefix=library_image.file.name)
        }:
            time.sleep(0.01)
        latencies.append((time.perf_counter() - committed_at[0]) * 1000)
        created.append(library_image)
    latency = {
        "uploads": uploads,
        "aliases": len(aliases),
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "max_ms": max(latencies),
    }
    return latency, created


def measure_bytes(library_images):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from easy_thumbnails.files import Thumbnailer

    from apps.images.registry import thumbnail_field
    from apps.images.thumbnails import expected_thumbnail_names

    aliases = thumbnail_field("images.LibraryImage", "file").aliases
    sizes = {"images": len(library_images), "originals": 0, "unoptimized": 0, "easy_thumbnails_jpeg": 0}
    sizes["optimized"] = 0
    for library_image in library_images:
        with default_storage.open(library_image.file.name) as source:
            source_bytes = source.read()
        sizes["originals"] += len(source_bytes)
        for extension, key in (("webp", "unoptimized"), ("jpg", "easy_thumbnails_jpeg")):
            thumbnailer = Thumbnailer(file=ContentFile(source_bytes), name=library_image.file.name)
            thumbnailer.thumbnail_extension = extension
            for options in aliases.values():
                sizes[key] += len(thumbnailer.generate_thumbnail(options).read())
        for name in expected_thumbnail_names(library_image.file.name, aliases).values():
            sizes["optimized"] += default_storage.size(name)
    return sizes


def make_unprocessed_library_images(count):
    """Rows with stored images whose thumbnails no task has made yet (bulk_create sends no signal)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from apps.images.models import LibraryImage
    from tests.support.photos import photo_bytes

    run_token = uuid.uuid4().hex[:8]
    rows = [
        LibraryImage(
            file=default_storage.save(
                f"library/bench/{run_token}/page-{number}.jpg", ContentFile(photo_bytes(variant=90 + number))
            ),
            width=1600,
            height=1000,
            alt_text=f"Page image {number}",
        )
        for number in range(count)
    ]
    return LibraryImage.objects.bulk_create(rows)


def render_counted(template, context_images, storages_setting, renders):
    from django.db import connection
    from django.template import Context
    from django.test.utils import CaptureQueriesContext, override_settings

    from project.services.constants import S3_PORT
    from tests.support.s3_proxy import counting_proxy, storages_at

    timings = []
    with contextlib.ExitStack() as stack:
        endpoint_url, requests = stack.enter_context(counting_proxy(S3_PORT))
        stack.enter_context(override_settings(STORAGES=storages_at(storages_setting, endpoint_url)))
        for _ in range(renders):
            requests.clear()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                template.render(Context({"images": context_images}))
                timings.append((time.perf_counter() - started) * 1000)
        request_count, query_count = len(requests), len(queries)
    timings.sort()
    return {"storage_requests": request_count, "queries": query_count, "ms": timings[len(timings) // 2]}


def measure_page():
    from django.conf import settings
    from django.template import Template

    from apps.images.models import LibraryImage
    from apps.images.thumbnails import refresh_thumbnails

    library_images = make_unprocessed_library_images(PAGE_THUMBNAILS)
    pks = [library_image.pk for library_image in library_images]
    ours = Template(
        '{% load thumbnails %}{% for image in images %}{% thumbnail_img image "file" "teaser" %}{% endfor %}'
    )
    easy_thumbnails = Template(
        "{% load thumbnail %}{% for image in images %}"
        "<img src=\"{{ image.file|thumbnail_url:'teaser' }}\" "
        "srcset=\"{{ image.file|thumbnail_url:'teaser_2x' }} 2x\">"
        "{% endfor %}"
    )

    def fresh_rows():
        return list(LibraryImage.objects.filter(pk__in=pks).order_by("pk"))

    storages_setting = settings.STORAGES
    cold = render_counted(ours, fresh_rows(), storages_setting, renders=1)
    lookups = render_counted(easy_thumbnails, fresh_rows(), storages_setting, renders=WARM_RENDERS)
    for pk in pks:
        refresh_thumbnails("images.LibraryImage", pk, "file", force=True)
    warm = render_counted(ours, fresh_rows(), storages_setting, renders=WARM_RENDERS)
    pages = [
        {"label": "our tag, before the task ran (generated on the fly)", **cold},
        {"label": "easy-thumbnails `thumbnail_url` filter, thumbnails already made", **lookups},
        {"label": "our tag, warm (URLs, widths, heights stored on the row)", **warm},
    ]
    return pages, library_images


def remove_benchmark_images(library_images):
    from django.core.files.storage import default_storage
    from easy_thumbnails.models import Source

    from apps.images.models import LibraryImage

    bucket = default_storage.bucket
    # easy-thumbnails' records too, or a later lookup would trust them.
    Source.objects.filter(name__in=[library_image.file.name for library_image in library_images]).delete()
    for library_image in library_images:
        for stored in bucket.objects.filter(Prefix=library_image.file.name):
            stored.delete()
    LibraryImage.objects.filter(pk__in=[library_image.pk for library_image in library_images]).delete()


def main(uploads):
    import django

    django.setup()
    purge_task_queues()
    latency, uploaded = measure_upload_latency(uploads)
    sizes = measure_bytes(uploaded[:BYTES_SAMPLE])
    pages, page_images = measure_page()
    remove_benchmark_images(uploaded + page_images)
    print(json.dumps({"latency": latency, "bytes": sizes, "pages": pages}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
