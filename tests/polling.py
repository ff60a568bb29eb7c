"""Waiting on a real side effect of another process or thread."""

import time


def wait_for(condition, timeout=30.0):
    """Poll a real side effect (a row, an object in the bucket); never a bare sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    return condition()
