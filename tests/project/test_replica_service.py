"""The postgres-replica service against a primary and a standby of its own, on
free ports: the copy streams, start is idempotent, a primary from an older
checkout (no replication line in pg_hba.conf) is upgraded on start, and the
replica refuses to start before its primary."""

import shutil
import uuid

import pytest

from project.services.constants import SERVICES_DIR
from project.services.postgres import PostgreSQL, pg_binary
from project.services.processes import ServiceError, free_port, run, wait_until
from project.services.replica import PostgresReplica
from tests.support.servers import stop_if_running

pytestmark = pytest.mark.services


@pytest.fixture
def primary_and_replica():
    # Under .services: as root the clusters run as the postgres user, who cannot enter pytest's tmp_path.
    directory = SERVICES_DIR / f"test-replica-{uuid.uuid4().hex[:8]}"
    primary = PostgreSQL("throwaway-postgres", free_port(), directory / "primary")
    replica = PostgresReplica(
        "throwaway-replica", free_port(), directory / "replica", primary, "throwaway_slot"
    )
    yield primary, replica
    stop_if_running(replica)
    stop_if_running(primary)
    for each in (replica, primary):
        for data_dir in each.data_dirs():
            shutil.rmtree(data_dir, ignore_errors=True)
    shutil.rmtree(directory, ignore_errors=True)


def sql(server, statement):
    return run(
        [pg_binary("psql"), "-X", "-qtA", "-v", "ON_ERROR_STOP=1", server.url, "-c", statement]
    ).strip()


def copied_row_arrived(replica):
    try:
        return sql(replica, "SELECT note FROM copied") == "streamed"
    except ServiceError:  # the table itself has not arrived yet
        return False


def test_replica_streams_from_an_upgraded_primary_and_start_is_idempotent(primary_and_replica):
    primary, replica = primary_and_replica
    with pytest.raises(ServiceError, match="throwaway-postgres is not running"):
        replica.start()

    assert primary.ensure_up() == "started"
    hba_file = primary.home() / "data" / "pg_hba.conf"
    hba_file.write_text("".join(line for line in hba_file.open() if "replication" not in line))
    sql(primary, "SELECT pg_reload_conf()")
    primary.configure()
    assert "host replication broadsheet 127.0.0.1/32 scram-sha-256" in hba_file.read_text().splitlines()

    assert replica.ensure_up() == "started"
    assert replica.ensure_up() == "running"
    assert sql(replica, "SELECT pg_is_in_recovery()") == "t"
    assert sql(primary, "SELECT active FROM pg_replication_slots WHERE slot_name = 'throwaway_slot'") == "t"

    sql(primary, "CREATE TABLE copied (note text); INSERT INTO copied VALUES ('streamed')")
    assert wait_until(lambda: copied_row_arrived(replica), timeout=30)

    replica.stop()
    replica.stop()
    assert replica.pid() is None
    assert replica.ensure_up() == "started"
    assert sql(replica, "SELECT count(*) FROM copied") == "1"
