"""Read replicas: which one may serve a read right now, and how far behind each is.

The chapter's next step after query work: streaming replicas take the readers'
SELECTs off the primary. A replica is used only while it answers and its
lag stays under REPLICA_MAX_LAG_SECONDS; each process checks at most
once every REPLICA_CHECK_SECONDS, on a connection of its own with a short
connect timeout, so a check costs nothing on the request path between checks
and never appears in a test's query count. A replica that is down or behind is
skipped (reads go to the primary) with one warning per REPLICA_WARNING_SECONDS;
the first check that finds it healthy again brings reads back.

Lag is measured against the primary, so that it covers receiving as well as
replaying: each check notes the primary's WAL position, and a replica's lag is
how long the oldest position it has not replayed has been waiting. A replica
that stopped receiving (its walreceiver gone, the network cut) replays all it
has and reads as caught up on its own; against the primary it falls behind.

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
from dataclasses import dataclass, field
from operator import itemgetter

import psycopg2
from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

replica_reads = contextvars.ContextVar("replica_reads", default=False)

PROBE_CONNECT_TIMEOUT_SECONDS = 1
# The most primary positions a process remembers per replica; past it every
# other one is forgotten, so a long outage keeps its oldest position.
PENDING_POSITIONS_KEPT = 64
REPLAY_POSITION_SQL = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"
REPLAYED_SQL = "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn"


@dataclass
class ReplicaHealth:
    usable: bool = False
    checked_at: float = float("-inf")
    warned_at: float = float("-inf")
    # (primary WAL position, when it was noted) the replica had not replayed yet.
    pending_positions: list = field(default_factory=list)


health_by_alias: dict[str, ReplicaHealth] = {}
health_lock = threading.Lock()


def wal_position(lsn):
    """A pg_lsn's text ("16/B374D848") as the byte position it names."""
    high, low = lsn.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def probe_connection(alias):
    """A connection of its own to the alias's server, outside Django's accounting."""
    params = connections[alias].get_connection_params()
    params["connect_timeout"] = PROBE_CONNECT_TIMEOUT_SECONDS
    probe = psycopg2.connect(**params)
    probe.autocommit = True
    return contextlib.closing(probe)


def primary_wal_lsn():
    with probe_connection("default") as probe, probe.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def replay_position(alias):
    """The replica's replayed WAL position, or None when it is not in recovery."""
    with probe_connection(alias) as probe, probe.cursor() as cursor:
        cursor.execute(REPLAY_POSITION_SQL)
        in_recovery, replay_lsn = cursor.fetchone()
    return wal_position(replay_lsn) if in_recovery else None


def measure_lag(alias, health, now):
    """Seconds the oldest primary position the replica has not replayed has
    waited (0 when it has replayed what the primary had at this check), or None
    when the primary or the replica cannot be reached."""
    try:
        primary_position = wal_position(primary_wal_lsn())
        replayed_position = replay_position(alias)
    except psycopg2.Error:
        return None
    if replayed_position is None:
        health.pending_positions.clear()
        return 0.0
    pending = [*health.pending_positions, (primary_position, now)]
    pending = [(position, noted_at) for position, noted_at in pending if position > replayed_position]
    if len(pending) > PENDING_POSITIONS_KEPT:
        pending = pending[::2]
    health.pending_positions = pending
    return now - pending[0][1] if pending else 0.0


def replica_lag_seconds():
    """{alias: lag in seconds, or None when down} for every configured replica (the health report)."""
    now = time.monotonic()
    with health_lock:
        return {
            alias: measure_lag(alias, health_by_alias.setdefault(alias, ReplicaHealth()), now)
            for alias in settings.READ_REPLICAS
        }


def check(alias, health, now):
    lag = measure_lag(alias, health, now)
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
    renders the old rows from a replica and stores them under the new version.

    Returns None, or the primary's position some replica had not replayed by
    the deadline: that replica is further behind than the bound, so it is
    skipped here from now on, but the other processes read it until their next
    check, and the caller must invalidate again once it has caught up."""
    usable = [alias for alias in settings.READ_REPLICAS if is_usable(alias)]
    if not usable:
        return None
    # The insert position, not the write position: with asynchronous commit
    # (BROADSHEET_PG_FAST in tests) a commit record may still sit in the WAL
    # buffers, before the write position, when the bump runs.
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        primary_lsn = cursor.fetchone()[0]
    started_at = time.monotonic()
    deadline = started_at + settings.REPLICA_MAX_LAG_SECONDS
    lagging = False
    for alias in usable:
        try:
            with probe_connection(alias) as probe, probe.cursor() as cursor:
                while True:
                    cursor.execute(REPLAYED_SQL, [primary_lsn])
                    if cursor.fetchone()[0]:
                        break
                    if time.monotonic() > deadline:
                        lagging = True
                        mark_behind(alias, wal_position(primary_lsn), started_at)
                        break
                    time.sleep(0.005)
        except psycopg2.Error as error:
            mark_unusable(alias, f"unreachable ({type(error).__name__})")
    return primary_lsn if lagging else None


def mark_behind(alias, primary_position, noted_at):
    """The replica missed the deadline for this position: skip it until it replays it."""
    with health_lock:
        health = health_by_alias.setdefault(alias, ReplicaHealth())
        pending = [*health.pending_positions, (primary_position, noted_at)]
        health.pending_positions = sorted(pending, key=itemgetter(1))
        health.usable, health.checked_at = False, time.monotonic()
        warn(alias, health, f"more than {settings.REPLICA_MAX_LAG_SECONDS}s behind", health.checked_at)


def replicas_have_replayed(primary_lsn):
    """Whether every configured replica has replayed the primary's position
    (one that cannot be reached has not)."""
    for alias in settings.READ_REPLICAS:
        try:
            with probe_connection(alias) as probe, probe.cursor() as cursor:
                cursor.execute(REPLAYED_SQL, [primary_lsn])
                if not cursor.fetchone()[0]:
                    return False
        except psycopg2.Error:
            return False
    return True
