"""What a response's headers must never say twice, or both ways (what redbot
flags): a header that may appear once appearing again, a list header naming a
value twice (`Vary: Accept-Encoding, Accept-Encoding`), Cache-Control
directives that contradict each other. And a static file as deployed, for
whitenoise to serve with its own headers."""

import shutil
from pathlib import Path

from django.conf import settings
from whitenoise.compress import Compressor

# RFC 9110 and 9111 fields with one value: a second line is a second answer.
SINGLE_VALUE_HEADERS = {
    "age",
    "content-length",
    "content-location",
    "content-security-policy",
    "content-type",
    "etag",
    "expires",
    "last-modified",
    "location",
    "referrer-policy",
    "retry-after",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
}
# Comma-separated lists whose members compare without case.
LIST_HEADERS = {"cache-control", "content-encoding", "vary", "x-robots-tag"}
CONTRADICTING_DIRECTIVES = [
    ("public", "private"),
    ("public", "no-store"),
    ("immutable", "no-cache"),
    ("immutable", "no-store"),
]


def header_problems(header_lines):
    """Each problem of `header_lines`, (name, value) pairs as sent, in one line of text."""
    values_by_name = {}
    for name, value in header_lines:
        values_by_name.setdefault(name.lower(), []).append(value)
    problems = []
    for name, values in values_by_name.items():
        if name in SINGLE_VALUE_HEADERS and len(values) > 1:
            problems.append(f"{name} sent {len(values)} times: {values}")
        if name in LIST_HEADERS:
            members = [member.strip().lower() for value in values for member in value.split(",")]
            keys = [member.split("=", 1)[0] for member in members]
            repeated = sorted({key for key in keys if keys.count(key) > 1})
            if repeated:
                problems.append(f"{name} repeats {repeated}: {values}")
    directives = {
        member.strip().lower().split("=", 1)[0]
        for value in values_by_name.get("cache-control", [])
        for member in value.split(",")
    }
    for first, second in CONTRADICTING_DIRECTIVES:
        if {first, second} <= directives:
            problems.append(
                f"cache-control says both {first} and {second}: {values_by_name['cache-control']}"
            )
    return problems


def collect_stylesheet(static_root):
    """The site's stylesheet in `static_root` with the .br and .gz copies
    collectstatic makes (whitenoise's compressor), as whitenoise finds it
    deployed; returns its URL path."""
    stylesheet = static_root / "css" / "site.css"
    stylesheet.parent.mkdir(parents=True)
    shutil.copyfile(Path(settings.BASE_DIR) / "static" / "css" / "site.css", stylesheet)
    Compressor(quiet=True).compress(str(stylesheet))
    return settings.STATIC_URL + "css/site.css"
