"""The innermost layer: each process remembers its last second of anonymous
responses.

A page read a thousand times a second then costs one Redis round trip a
second, not a thousand. In the process that bumps the list version or flushes
a page the memory is emptied at once; other processes may answer with a copy
up to CACHE_PROCESS_SECONDS old, well inside the public max-age that browsers
and CDNs are already allowed to reuse. Bounded: the least recently stored
entries go first.
"""

import threading
import time
from collections import OrderedDict

from django.conf import settings

MAX_ENTRIES = 256


class RecentResponses:
    def __init__(self, max_entries=MAX_ENTRIES):
        self.max_entries = max_entries
        self.entries = OrderedDict()
        # runserver and threaded workers share the dictionary.
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        return value if time.monotonic() < expires_at else None

    def set(self, key, value):
        seconds = settings.CACHE_PROCESS_SECONDS
        if seconds <= 0:
            return
        with self.lock:
            self.entries[key] = (time.monotonic() + seconds, value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def clear(self):
        with self.lock:
            self.entries.clear()


recent_responses = RecentResponses()
