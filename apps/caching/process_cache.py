"""Layer 2 of the pipeline: each process remembers its last second of anonymous responses.

A page read a thousand times a second then costs one Redis round trip a
second per process, not a thousand. The process that bumps the list version or
flushes a page empties its memory at once; other processes may answer with a
copy up to CACHE_PROCESS_SECONDS old, well inside the public max-age that
browsers and CDNs already reuse. Bounded in bytes, not only in entries: the
least recently stored responses go first, and a body larger than a slice of
the budget is never kept, so no spelling of any URL can grow a worker.
"""

import threading
import time
from collections import OrderedDict
from typing import NamedTuple

from django.conf import settings
from django.utils.http import parse_http_date_safe


class RememberedResponse(NamedTuple):
    content: bytes
    headers: dict
    # Parsed once, so a conditional request costs no date parsing.
    etag: str | None
    last_modified: int | None


def remember(content, headers):
    """A response's body and headers, with its validators ready for a 304."""
    last_modified = headers.get("Last-Modified")
    return RememberedResponse(
        content, headers, headers.get("ETag"), parse_http_date_safe(last_modified) if last_modified else None
    )


class ProcessCache:
    def __init__(self, max_bytes=None, max_entry_bytes=None):
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        # {key: (expires_at, size, RememberedResponse)}, oldest first.
        self.entries = OrderedDict()
        self.stored_bytes = 0
        # runserver and threaded workers share the dictionary.
        self.lock = threading.Lock()

    @property
    def budget(self):
        return self.max_bytes if self.max_bytes is not None else settings.CACHE_PROCESS_MAX_BYTES

    @property
    def entry_budget(self):
        return self.max_entry_bytes if self.max_entry_bytes is not None else self.budget // 16

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
        if entry is None:
            return None
        expires_at, _size, remembered = entry
        return remembered if time.monotonic() < expires_at else None

    def set(self, key, remembered):
        seconds = settings.CACHE_PROCESS_SECONDS
        size = len(remembered.content) + len(key)
        if seconds <= 0 or size > self.entry_budget:
            return
        with self.lock:
            self._forget(key)
            self.entries[key] = (time.monotonic() + seconds, size, remembered)
            self.stored_bytes += size
            while self.stored_bytes > self.budget:
                self._forget(next(iter(self.entries)))

    def clear(self):
        with self.lock:
            self.entries.clear()
            self.stored_bytes = 0

    def _forget(self, key):
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.stored_bytes -= entry[1]


process_cache = ProcessCache()
