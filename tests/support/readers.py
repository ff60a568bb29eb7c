"""Readers in threads, reading pages over HTTP until told to stop, while a test
kills and restarts a part of the stack under them."""

import threading
import urllib.error
import urllib.request

from .threads import ThreadsInABlock

READER_THREADS = 4


class Readers(ThreadsInABlock):
    """Threads reading pages through nginx until told to stop; every outcome is kept."""

    join_timeout = 60

    def __init__(self, base_url, paths):
        super().__init__()
        self.base_url, self.paths = base_url, paths
        self.outcomes = []
        self.lock = threading.Lock()
        self.reads_done = threading.Condition(self.lock)
        self.threads = [threading.Thread(target=self.read, args=(n,)) for n in range(READER_THREADS)]

    def read(self, number):
        index = number
        while not self.stop.is_set():
            path = self.paths[index % len(self.paths)]
            index += 1
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=30) as response:  # noqa: S310
                    response.read()
                    outcome = (path, response.status)
            except urllib.error.HTTPError as error:
                outcome = (path, error.code)
            except OSError as error:
                outcome = (path, repr(error))
            with self.lock:
                self.outcomes.append(outcome)
                self.reads_done.notify_all()

    def wait_for_more(self, count):
        """Block until count more reads have finished (of any outcome)."""
        with self.lock:
            target = len(self.outcomes) + count
            assert self.reads_done.wait_for(lambda: len(self.outcomes) >= target, timeout=60)
