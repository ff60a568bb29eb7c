"""Sections of a Markdown document that a tool rewrites with what it measured
(docs/performance.md by `make bench`, docs/reliability.md by tests/stack/):
figures are written by the tool that measured them, never copied by hand."""

import datetime
import os
from pathlib import Path


def today():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def markdown_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def update_section(path, marker, name, body, *, header, order=()):
    """Replace the text between <!-- marker:name --> and <!-- /marker:name -->.

    A section not there yet is added before the first later one in `order`,
    else at the end; a missing document starts from `header`."""
    start, end = f"<!-- {marker}:{name} -->", f"<!-- /{marker}:{name} -->"
    document = path.read_text() if path.exists() else header
    # An anchor (#bench-caching) other documents link to instead of copying a figure.
    block = f'{start}\n<a id="{marker}-{name}"></a>\n\n{body.strip()}\n{end}'
    if start in document and end in document:
        before, rest = document.split(start, 1)
        document = before + block + rest.split(end, 1)[1]
    else:
        later = order[order.index(name) + 1 :] if name in order else ()
        later_starts = [f"<!-- {marker}:{other} -->" for other in later]
        following = next((other_start for other_start in later_starts if other_start in document), None)
        if following:
            before, rest = document.split(following, 1)
            document = before + block + "\n\n" + following + rest
        else:
            document = document.rstrip() + "\n\n" + block + "\n"
    path.write_text(document)


def machine_load():
    """The load average and what it says, for a doc that a busy machine's run wrote."""
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    cores = os.cpu_count() or 1
    verdict = "a busy machine" if float(one) > cores / 2 else "a quiet machine"
    return f"{verdict}: load average {one} {five} {fifteen} at the end, {cores} cores"
