"""project.services against real processes on free ports: the table refuses an
unknown name, start is idempotent, stop never touches a server another checkout
started, and settings load none of the runner."""

import json
import socket
import subprocess
import sys

import pytest

from project.services import table
from project.services.constants import PROJECT_ROOT, S3_ADMIN_ACCESS_KEY, S3_ADMIN_SECRET_KEY, S3_TEST_BUCKET
from project.services.processes import ServiceError, free_port, process_is_alive
from project.services.redis_server import CACHE_OPTIONS, RedisServer
from project.services.seaweedfs import s3_client
from tests.support.servers import redis_on_free_port, s3_on_free_port, stop_if_running

pytestmark = pytest.mark.services


@pytest.fixture
def redis_server(tmp_path):
    server = redis_on_free_port(tmp_path / "ours")
    yield server
    stop_if_running(server)


def test_unknown_service_name_raises_naming_the_choices():
    for action in (table.start, table.stop, table.reset):
        with pytest.raises(ValueError, match="unknown service 'mongo'; choose from postgres, redis-broker"):
            action(["mongo"])
    with pytest.raises(ValueError, match="choose from postgres, redis-broker, redis-cache, s3"):
        table.service("S3")


def test_command_line_refuses_an_unknown_name_before_touching_anything():
    completed = subprocess.run(
        [sys.executable, "-m", "project.services", "stop", "redis-cache", "bogus"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert "unknown service bogus" in completed.stderr
    assert table.SERVICES["redis-cache"].is_up()


def test_start_is_idempotent_and_reuses_the_running_server(redis_server):
    assert redis_server.ensure_up() == "started"
    first_pid = redis_server.pid()

    assert redis_server.ensure_up() == "running"
    assert redis_server.pid() == first_pid
    assert table.start(["redis-cache"]) == {"redis-cache": "running"}


def test_stop_refuses_to_shut_down_a_redis_another_checkout_started(redis_server, tmp_path):
    redis_server.start()
    same_port_other_checkout = RedisServer(
        "redis-cache", redis_server.port, tmp_path / "other-checkout", CACHE_OPTIONS, keeps_data=False
    )

    with pytest.raises(ServiceError, match=f"still serves port {redis_server.port}"):
        same_port_other_checkout.stop()
    assert redis_server.is_up()

    redis_server.stop()
    assert not redis_server.is_up()
    assert redis_server.pid() is None


def test_start_refuses_a_port_held_by_something_else(tmp_path):
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", free_port()))
        stranger.listen()
        server = RedisServer(
            "redis-cache", stranger.getsockname()[1], tmp_path, CACHE_OPTIONS, keeps_data=False
        )
        with pytest.raises(ServiceError, match="is taken by something that is not redis-cache"):
            server.ensure_up()


def test_s3_stop_refuses_a_stranger_and_kill_ends_our_own(tmp_path):
    s3 = s3_on_free_port(tmp_path / "ours")
    s3.start()
    try:
        other_checkout = type(s3)("s3", s3.port, tmp_path / "other-checkout", s3.buckets)
        with pytest.raises(ServiceError, match="still serves"):
            other_checkout.stop()
        assert s3.is_up()

        pid = s3.pid()
        s3.kill()
        assert not process_is_alive(pid)
        assert not s3.is_up()
    finally:
        stop_if_running(s3)


def test_settings_import_the_constants_and_none_of_the_runner():
    runner_modules = [
        "table",
        "postgres",
        "replica",
        "redis_server",
        "seaweedfs",
        "processes",
        "base",
        "__main__",
    ]
    check = (
        "import sys, project.settings.base; "
        f"print([name for name in {runner_modules!r} if 'project.services.' + name in sys.modules])"
    )
    completed = subprocess.run(
        [sys.executable, "-c", check], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_the_package_list_runs_with_the_system_python_before_the_virtualenv():
    """The Makefile asks for missing Debian packages before .venv exists: no Celery, no Django."""
    completed = subprocess.run(
        ["/usr/bin/python3", "-I", "project/services/programs.py"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == ""


def test_s3_keeps_objects_and_its_ports_across_a_restart_and_a_crash(tmp_path):
    """SeaweedFS stores on disk: a restart (and a SIGKILL) loses no object."""
    s3 = s3_on_free_port(tmp_path / "ours")
    s3.start()
    try:
        client = s3_client(s3.url, S3_ADMIN_ACCESS_KEY, S3_ADMIN_SECRET_KEY)
        client.put_object(Bucket=S3_TEST_BUCKET, Key="kept.txt", Body=b"still here")
        inner_ports = s3.ports_file.read_text()

        s3.stop()
        assert not s3.is_up()
        s3.start()
        assert s3.ports_file.read_text() == inner_ports
        s3.kill()
        s3.start()

        stored = client.get_object(Bucket=S3_TEST_BUCKET, Key="kept.txt")["Body"].read()
        assert stored == b"still here"
    finally:
        stop_if_running(s3)


def test_a_stack_config_from_an_older_checkout_follows_the_current_services_and_keeps_its_secret(
    tmp_path, monkeypatch
):
    from project.services import stack

    ports = {
        name: free_port()
        for name in ("nginx", "varnish", "postgres", "postgres-replica", "redis-cache", "redis-broker", "s3")
    }
    older = {
        **stack.deploy_config(ports),
        "SECRET_KEY": "kept-from-the-first-start",
        "AWS_ACCESS_KEY_ID": "S3RVER",
        "SERVER_TIMING_PUBLIC": True,
    }
    del older["AWS_MEDIA_MIRROR_BUCKET_NAME"]
    monkeypatch.setattr(stack, "CONFIG_FILE", tmp_path / "config.json")
    stack.CONFIG_FILE.write_text(json.dumps(older))

    stack.complete_config(ports)

    completed = json.loads(stack.CONFIG_FILE.read_text())
    assert completed["SECRET_KEY"] == "kept-from-the-first-start"
    assert completed["SERVER_TIMING_PUBLIC"] is True
    assert completed["AWS_ACCESS_KEY_ID"] == stack.deploy_config(ports)["AWS_ACCESS_KEY_ID"] != "S3RVER"
    assert (
        completed["AWS_MEDIA_MIRROR_BUCKET_NAME"]
        == stack.deploy_config(ports)["AWS_MEDIA_MIRROR_BUCKET_NAME"]
    )
