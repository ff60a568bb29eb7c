"""Waiting on a real side effect of another process or thread."""

from project.services.processes import wait_until


def wait_for(condition, timeout=30.0):
    """Poll a real side effect (a row, an object in the bucket); never a bare sleep.

    Returns the condition's last result, so `assert wait_for(...)` fails on timeout."""
    return wait_until(condition, timeout, interval=0.1)
