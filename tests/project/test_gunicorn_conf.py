"""gunicorn's worker timeout is the last bound a request meets: every dependency
gives up before it (docs/reliability.md, "Timeouts"), so a hung service ends in
Django's error page, not in a killed worker and nginx's 502."""

import runpy
import subprocess
import sys

from django.conf import settings
from django.core.files.storage import storages

from project.services.constants import PROJECT_ROOT

GUNICORN_CONF = PROJECT_ROOT / "project" / "deploy" / "gunicorn.conf.py"


def test_gunicorn_accepts_the_shared_config_file():
    command = [sys.executable, "-m", "gunicorn", "--check-config", "--config", str(GUNICORN_CONF)]
    subprocess.run([*command, "project.wsgi"], cwd=PROJECT_ROOT, check=True, capture_output=True)


def test_every_dependency_gives_up_before_gunicorn_kills_the_worker():
    worker_timeout = runpy.run_path(str(GUNICORN_CONF))["timeout"]
    s3_config = storages["default"].client_config
    transport = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    publish_attempts = 1 + settings.CELERY_TASK_PUBLISH_RETRY_POLICY["max_retries"]
    cache_options = settings.CACHES["default"]["OPTIONS"]

    longest_wait_seconds = {
        "database connect": settings.DATABASE_CONNECT_TIMEOUT_SECONDS,
        **{
            f"database {name}": milliseconds / 1000
            for name, milliseconds in settings.DATABASE_SESSION_LIMITS_MS["web"].items()
        },
        "s3 call": (s3_config.connect_timeout + s3_config.read_timeout) * s3_config.retries["max_attempts"],
        # A publish, then a reconnect and the retried publish.
        "broker publish": publish_attempts
        * (transport["socket_connect_timeout"] + 2 * transport["socket_timeout"]),
        "cache call": cache_options["SOCKET_CONNECT_TIMEOUT"] + cache_options["SOCKET_TIMEOUT"],
    }

    assert {name: wait for name, wait in longest_wait_seconds.items() if wait >= worker_timeout} == {}
    assert all(wait > 0 for wait in longest_wait_seconds.values())
