"""Servers a test may stop and start: its own, on free ports, with their data in
the test's temporary directory, so stopping one never takes down the shared
services other test runs use. The classes are project.services' own."""

import contextlib
import os
import signal
from pathlib import Path

from project.services.constants import S3_TEST_BUCKET
from project.services.processes import free_port
from project.services.redis_server import CACHE_OPTIONS, RedisServer
from project.services.seaweedfs import SeaweedFS


def redis_on_free_port(directory: Path) -> RedisServer:
    """A cache-like Redis (nothing persisted) on a free port."""
    return RedisServer("throwaway-redis", free_port(), directory, CACHE_OPTIONS, keeps_data=False)


def s3_on_free_port(directory: Path) -> SeaweedFS:
    """An S3 server (SeaweedFS, as everywhere) holding the test bucket, on a free port."""
    return SeaweedFS("throwaway-s3", free_port(), directory, (S3_TEST_BUCKET,))


def stop_if_running(server) -> None:
    """Fixture teardown: the test may already have stopped it."""
    if server.pid() is not None:
        server.stop()


@contextlib.contextmanager
def hung(server):
    """The server stopped (SIGSTOP), not dead: the kernel still accepts its
    connections, nothing answers them; SIGCONT on the way out, always."""
    pid = server.pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        yield server
    finally:
        os.kill(pid, signal.SIGCONT)
