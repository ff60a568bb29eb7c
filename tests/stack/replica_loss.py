"""The fault scenario of the read replica, for `make faults` and its CI guard
(tests/stack/test_replica_loss.py): readers read through nginx pages that need
the database, the stack's replica is SIGKILLed under them and later started
again, and not one read may fail.

`replica_killed_under_load()` runs it and returns what happened; the caller
says what must hold (the guard asserts, `make faults` writes its section).
"""

from dataclasses import dataclass

import psycopg2

from project.services import stack
from project.services.constants import DB_NAME
from project.services.processes import wait_until
from tests.support.readers import Readers

from .scaling import reader_paths

# A process checks the replica every 5 s (apps/replicas/health.py); reads need a
# few checks' time to come back after a restart.
RETURN_TIMEOUT_SECONDS = 60


@dataclass
class ReplicaLoss:
    outcomes: list  # (path, status) of every read, in order
    replica_reads_before: int  # transactions the replica ran while it was up
    replica_reads_after_restart: int


def replica_transactions(replica):
    with psycopg2.connect(replica.url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", [DB_NAME]
        )
        count = cursor.fetchone()[0]
    connection.close()
    return count


def replica_serves_reads(replica, since, readers):
    """Whether the replica ran more transactions than `since` while readers read."""
    readers.wait_for_more(10)
    return replica_transactions(replica) > since


def replica_killed_under_load(reads_per_phase=40):
    parts = stack.components()
    replica = parts["postgres-replica"]
    with Readers(stack.base_url(), reader_paths(parts)) as readers:
        start_count = replica_transactions(replica)
        wait_until(
            lambda: replica_serves_reads(replica, start_count, readers), timeout=RETURN_TIMEOUT_SECONDS
        )
        before = replica_transactions(replica) - start_count
        replica.kill()
        readers.wait_for_more(reads_per_phase)
        replica.ensure_up()
        restarted_count = replica_transactions(replica)
        wait_until(
            lambda: replica_serves_reads(replica, restarted_count, readers), timeout=RETURN_TIMEOUT_SECONDS
        )
        after = replica_transactions(replica) - restarted_count
    return ReplicaLoss(readers.outcomes, before, after)
