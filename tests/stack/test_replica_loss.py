"""The read replica, guarded in CI: SIGKILLed while readers read pages that
need the database, and not one read fails; started again, it serves reads again.

Starts `make stack` (reused when up); a few hundred reads.
"""

import pytest

from project.services import stack

from .replica_loss import replica_killed_under_load

pytestmark = pytest.mark.stack


def test_readers_see_no_error_while_the_replica_is_killed_and_restarted():
    stack.start()
    loss = replica_killed_under_load()

    assert loss.replica_reads_before > 0
    assert loss.replica_reads_after_restart > 0
    failed = [outcome for outcome in loss.outcomes if outcome[1] != 200]
    assert len(loss.outcomes) >= 60
    assert failed == []
