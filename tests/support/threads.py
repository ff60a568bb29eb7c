"""Threads that run for the length of a with block: started on entering it,
told to stop (an Event each thread's loop checks) and joined on leaving it."""

import threading


class ThreadsInABlock:
    """Subclasses fill self.threads; their loops run until self.stop is set."""

    # None waits for every thread however long; a number bounds a hung one.
    join_timeout = None

    def __init__(self):
        self.stop = threading.Event()
        self.threads = []

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=self.join_timeout)
