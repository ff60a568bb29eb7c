"""Read replicas: which one may serve a read right now, and how far behind each is.

The chapter's next step after query work: streaming replicas take the readers'
SELECTs off the primary. A replica is used only while it answers and its
replay lag stays under REPLICA_MAX_LAG_SECONDS; each process checks at most
once every REPLICA_CHECK_SECONDS, on a connection of its own with a short
connect timeout, so a check costs nothing on the request path between checks
and never appears in a test's query count. A replica that is down or behind is
skipped (reads go to the primary) with one warning per REPLICA_WARNING_SECONDS;
the first check that finds it healthy again brings reads back.

`replica_reads` says whether the code running now may read from a replica. It
is False unless apps.replicas.router.ReadYourWritesMiddleware turns it on for
a request, so Celery tasks, management commands and shells read the primary.
"""

import contextlib
import contextvars
import logging
import random
import threading
import time
from dataclasses import dataclass

import psycopg2
from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

replica_reads = contextvars.ContextVar("replica_reads", default=False)

PROBE_CONNECT_TIMEOUT_SECONDS = 1
# Replay lag in seconds. Caught up (all WAL received is applied) is 0 however
# long the primary has been idle; a server not in recovery has no lag.
LAG_SQL = (
    "SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
    " THEN 0 ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)
REPLAYED_SQL = "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn"


@dataclass
class ReplicaHealth:
    usable: bool = False
    checked_at: float = float("-inf")
    warned_at: float = float("-inf")


health_by_alias: dict[str, ReplicaHealth] = {}
health_lock = threading.Lock()


def probe_connection(alias):
    """A connection of its own to the alias's server, outside Django's accounting."""
    params = connections[alias].get_connection_params()
    params["connect_timeout"] = PROBE_CONNECT_TIMEOUT_SECONDS
    probe = psycopg2.connect(**params)
    probe.autocommit = True
    return contextlib.closing(probe)


def measure_lag(alias):
    """The replica's replay lag in seconds, or None when it cannot be reached."""
    try:
        with probe_connection(alias) as probe, probe.cursor() as cursor:
            cursor.execute(LAG_SQL)
            return float(cursor.fetchone()[0])
    except psycopg2.Error:
        return None


def replica_lag_seconds():
    """{alias: lag in seconds, or None when down} for every configured replica (the health report)."""
    return {alias: measure_lag(alias) for alias in settings.READ_REPLICAS}


def check(alias, health, now):
    lag = measure_lag(alias)
    was_usable = health.usable
    health.usable = lag is not None and lag <= settings.REPLICA_MAX_LAG_SECONDS
    health.checked_at = now
    if health.usable:
        if not was_usable and health.warned_at > float("-inf"):
            logger.warning("Replica %s is back (lag %.1fs): reads return to it", alias, lag)
            health.warned_at = float("-inf")
        return
    reason = "unreachable" if lag is None else f"{lag:.1f}s behind"
    warn(alias, health, reason, now)


def warn(alias, health, reason, now):
    if now - health.warned_at >= settings.REPLICA_WARNING_SECONDS:
        health.warned_at = now
        logger.warning("Replica %s is %s: reading from the primary", alias, reason)


def is_usable(alias):
    """Whether the replica may serve reads, checked at most once per REPLICA_CHECK_SECONDS."""
    now = time.monotonic()
    with health_lock:
        health = health_by_alias.setdefault(alias, ReplicaHealth())
        if now - health.checked_at >= settings.REPLICA_CHECK_SECONDS:
            check(alias, health, now)
        return health.usable


def mark_unusable(alias, reason):
    """A read on the replica failed: use the primary until the next check."""
    now = time.monotonic()
    with health_lock:
        health = health_by_alias.setdefault(alias, ReplicaHealth())
        health.usable, health.checked_at = False, now
        warn(alias, health, reason, now)


def forget_health():
    """Check every replica afresh on the next read (tests that stop and start one)."""
    with health_lock:
        health_by_alias.clear()


def replica_for_read():
    """A usable replica's alias, or None when reads must go to the primary."""
    usable = [alias for alias in settings.READ_REPLICAS if is_usable(alias)]
    return random.choice(usable) if usable else None


def wait_for_replicas():
    """Wait (at most the lag bound) until each usable replica has replayed every
    commit made so far, so that a reader whose cache was just invalidated never
    renders the old rows from a replica and stores them under the new version."""
    usable = [alias for alias in settings.READ_REPLICAS if is_usable(alias)]
    if not usable:
        return
    with connections["default"].cursor() as cursor:
        # The insert position, not the write position: with asynchronous commit
        # (BROADSHEET_PG_FAST in tests) a commit record may still sit in the WAL
        # buffers, before the write position, when the bump runs.
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        primary_lsn = cursor.fetchone()[0]
    deadline = time.monotonic() + settings.REPLICA_MAX_LAG_SECONDS
    for alias in usable:
        try:
            with probe_connection(alias) as probe, probe.cursor() as cursor:
                while True:
                    cursor.execute(REPLAYED_SQL, [primary_lsn])
                    if cursor.fetchone()[0] or time.monotonic() > deadline:
                        break
                    time.sleep(0.005)
        except psycopg2.Error as error:
            mark_unusable(alias, f"unreachable ({type(error).__name__})")
