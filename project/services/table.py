"""The checkout's five services by name (the replica last: it copies the
primary), and start, stop and reset over them, serialised by a file lock
(parallel test workers start them at once)."""

import contextlib
import fcntl
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from .base import Service
from .constants import (
    PG_PORT,
    PG_REPLICA_PORT,
    REDIS_BROKER_PORT,
    REDIS_CACHE_PORT,
    REPLICATION_SLOT,
    S3_BUCKET,
    S3_MIRROR_BUCKET,
    S3_PORT,
    S3_TEST_BUCKET,
    S3_TEST_MIRROR_BUCKET,
    SERVICES_DIR,
)
from .postgres import PostgreSQL
from .redis_server import BROKER_OPTIONS, CACHE_OPTIONS, RedisServer
from .replica import PostgresReplica
from .seaweedfs import SeaweedFS

PRIMARY = PostgreSQL("postgres", PG_PORT, SERVICES_DIR / "postgres")
SERVICES: dict[str, Service] = {
    "postgres": PRIMARY,
    "redis-broker": RedisServer(
        "redis-broker", REDIS_BROKER_PORT, SERVICES_DIR / "redis-broker", BROKER_OPTIONS, keeps_data=True
    ),
    "redis-cache": RedisServer(
        "redis-cache", REDIS_CACHE_PORT, SERVICES_DIR / "redis-cache", CACHE_OPTIONS, keeps_data=False
    ),
    "s3": SeaweedFS(
        "s3",
        S3_PORT,
        SERVICES_DIR / "s3",
        (S3_BUCKET, S3_TEST_BUCKET, S3_MIRROR_BUCKET, S3_TEST_MIRROR_BUCKET),
    ),
    "postgres-replica": PostgresReplica(
        "postgres-replica", PG_REPLICA_PORT, SERVICES_DIR / "postgres-replica", PRIMARY, REPLICATION_SLOT
    ),
}


def service(name: str) -> Service:
    """The service of that name; an unknown name raises ValueError naming the choices."""
    try:
        return SERVICES[name]
    except KeyError:
        raise ValueError(f"unknown service {name!r}; choose from {', '.join(SERVICES)}") from None


def chosen(names: Iterable[str] | None) -> list[Service]:
    """The named services, all of them when no name is given."""
    return [service(name) for name in (names or SERVICES)]


@contextlib.contextmanager
def services_lock(directory: Path = SERVICES_DIR) -> Iterator[None]:
    """Serialise start/stop/reset of the services whose data lives under directory."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        yield


def start(names: Iterable[str] | None = None) -> dict[str, str]:
    """Start the named services (all by default) unless they are up; wait until ready.

    Returns {name: "running" | "started"}; raises ServiceError if one failed.
    """
    services = chosen(names)
    with services_lock():
        return {each.name: each.ensure_up() for each in services}


def stop(names: Iterable[str] | None = None) -> None:
    """Stop the named services (all by default); a stopped service is left alone."""
    services = chosen(names)
    with services_lock():
        for each in services:
            each.stop()


def reset(names: Iterable[str] | None = None) -> None:
    """Stop the named services and delete their data."""
    services = chosen(names)
    with services_lock():
        for each in services:
            each.stop()
            for directory in each.data_dirs():
                shutil.rmtree(directory, ignore_errors=True)
