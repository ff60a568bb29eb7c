"""PostgreSQL's limits (project/database_limits.py) on the real test database:
a statement over the statement_timeout is cancelled, a lock wait over the
lock_timeout gives up, a transaction left idle is ended, and each kind of
process connects with its own limits. The tests' connections carry the
settings' entry with limits of a few hundred milliseconds, so nothing waits long."""

import json
import subprocess
import sys

import psycopg2.errors
import pytest
from django.conf import settings
from django.db import connection
from django.db.utils import ConnectionHandler, OperationalError

from project.database_limits import session_options, with_limits
from project.services.constants import PROJECT_ROOT
from tests.support.deploy import filled_in_config, run_deployed_code, write_config
from tests.support.waiting import wait_for

pytestmark = pytest.mark.django_db

SHORT_LIMITS_MS = {"statement_timeout": 200, "lock_timeout": 200, "idle_in_transaction_session_timeout": 300}


def limited_connection(limits_ms=SHORT_LIMITS_MS):
    """A connection of its own to the test database, with the given limits."""
    database = {key: value for key, value in connection.settings_dict.items() if key != "OPTIONS"}
    probe = ConnectionHandler({"default": with_limits(database, 3, limits_ms)})["default"]
    probe.ensure_connection()
    return probe


def test_the_web_connects_with_the_web_limits():
    with connection.cursor() as cursor:
        shown = {}
        for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
            cursor.execute(f"SELECT current_setting('{name}')::interval")
            shown[name] = cursor.fetchone()[0].total_seconds() * 1000
    assert shown == settings.DATABASE_SESSION_LIMITS_MS["web"]
    assert connection.connection.get_dsn_parameters()["connect_timeout"] == "3"


def test_a_statement_over_the_statement_timeout_is_cancelled():
    probe = limited_connection()
    try:
        with pytest.raises(OperationalError) as raised, probe.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")
        assert isinstance(raised.value.__cause__, psycopg2.errors.QueryCanceled)
        assert "statement timeout" in str(raised.value)
    finally:
        probe.close()


def test_a_lock_wait_over_the_lock_timeout_gives_up():
    holder = limited_connection(dict.fromkeys(SHORT_LIMITS_MS, 0))
    # A statement limit above the lock's, so that the lock's is the one that fires.
    waiter = limited_connection({**SHORT_LIMITS_MS, "statement_timeout": 5000})
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute("LOCK TABLE blog_post IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(OperationalError) as raised, waiter.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM blog_post")
        assert isinstance(raised.value.__cause__, psycopg2.errors.LockNotAvailable)
    finally:
        holder.rollback()
        holder.close()
        waiter.close()


def test_a_transaction_left_idle_is_ended_and_its_locks_released():
    idle, observer = limited_connection(), limited_connection()
    try:
        idle.set_autocommit(False)
        with idle.cursor() as cursor:
            cursor.execute("LOCK TABLE blog_post IN ACCESS EXCLUSIVE MODE")
            cursor.execute("SELECT pg_backend_pid()")
            idle_pid = cursor.fetchone()[0]

        def idle_session_ended():
            # Autocommit: each query sees pg_stat_activity afresh, not a transaction's snapshot.
            with observer.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [idle_pid])
                return cursor.fetchone()[0] == 0

        assert wait_for(idle_session_ended, timeout=10)
        with observer.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM blog_post")
        with pytest.raises(OperationalError), idle.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        idle.close()
        observer.close()


def test_a_databases_own_options_win_over_the_limits():
    own_options = {"connect_timeout": 9, "options": "-c statement_timeout=1234"}
    database = {"NAME": "broadsheet", "OPTIONS": own_options}

    options = with_limits(database, 3, SHORT_LIMITS_MS)["OPTIONS"]

    assert options["connect_timeout"] == 9
    assert options["options"].endswith("-c statement_timeout=1234")
    assert options["options"].startswith("-c statement_timeout=200 -c lock_timeout=200")


SHOW_LIMITS = """
from django.db import connection
with connection.cursor() as cursor:
    for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
        cursor.execute("SHOW " + name)
        print(name + "=" + cursor.fetchone()[0])
"""

CELERY_WORKER_LIMITS = (
    "import django; django.setup()\n"
    "from celery import signals\n"
    "from project.celery import app\n"
    "signals.worker_process_init.send(sender=None)\n" + SHOW_LIMITS
)


def limits_shown(command):
    output = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    shown = [line.split("=", 1) for line in output.splitlines() if "=" in line]
    return {name: value for name, value in shown if name.endswith("timeout")}


def test_celery_workers_and_management_commands_switch_to_their_own_limits():
    """A worker's statements may run as long as its task; a command's (seeding,
    a checksum of a million posts) as long as they take."""
    worker = limits_shown([sys.executable, "-c", CELERY_WORKER_LIMITS])
    command = limits_shown([sys.executable, "manage.py", "shell", "-c", SHOW_LIMITS])

    assert worker == {
        "statement_timeout": "90s",
        "lock_timeout": "5s",
        "idle_in_transaction_session_timeout": "90s",
    }
    assert command == dict.fromkeys(worker, "0")


def test_deploy_settings_give_the_primary_and_each_replica_the_same_limits(tmp_path):
    config = {**filled_in_config(), "DATABASE_REPLICA_URLS": ["postgres://app:pw@replica-a/site"]}
    completed = run_deployed_code(
        write_config(tmp_path, config),
        "import json\nfrom django.conf import settings\n"
        "print(json.dumps({alias: entry['OPTIONS'] for alias, entry in settings.DATABASES.items()}))",
    )
    assert completed.returncode == 0, completed.stderr
    web_options = session_options(settings.DATABASE_SESSION_LIMITS_MS["web"])
    assert json.loads(completed.stdout) == {
        "default": {"connect_timeout": 3, "options": web_options},
        "replica_1": {"connect_timeout": 2, "options": web_options},
    }
