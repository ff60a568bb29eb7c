"""Health checks: readiness for the load balancer, a detailed report for operators.

Readiness asks only what this server needs to serve pages, its database
connection: one `SELECT 1`. The broker, the bucket and the cache are shared
by every app server and the site degrades without them, so a load balancer
that dropped servers on their account would take the whole site out while
pages could still be served.

The detailed report probes every service directly (the cache backend
swallows Redis errors on purpose, so asking it would always say "up"), with
one-second timeouts and no retries, and is cached for a few seconds so that
polling it costs the services almost nothing. Each probe returns None when
the service answers, or a short reason.
"""

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection

from apps.replicas.health import replica_lag_seconds

PROBE_TIMEOUT_SECONDS = 1
DETAIL_CACHE_KEY = "healthz:detail"
DETAIL_CACHE_SECONDS = 5


def database_problem():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means "down", with its reason
        return type(error).__name__
    return None


def cache_problem():
    try:
        cache.client.get_client(write=True).ping()
    except Exception as error:  # noqa: BLE001
        return type(error).__name__
    return None


def broker_problem():
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL,
            socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
            socket_timeout=PROBE_TIMEOUT_SECONDS,
        )
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001
        return type(error).__name__
    return None


def storage_problem():
    """HEAD the bucket once: the storage's own client retries for seconds when S3 is down."""
    # Imported here: a web process loads the S3 client only when it first needs it,
    # and the load balancer's /healthz never does.
    import boto3
    from botocore.config import Config as BotoConfig

    try:
        probe_client = boto3.session.Session().client(
            "s3",
            endpoint_url=default_storage.endpoint_url,
            region_name=default_storage.region_name,
            aws_access_key_id=default_storage.access_key,
            aws_secret_access_key=default_storage.secret_key,
            config=BotoConfig(
                connect_timeout=PROBE_TIMEOUT_SECONDS,
                read_timeout=PROBE_TIMEOUT_SECONDS,
                retries={"total_max_attempts": 1},
            ),
        )
        probe_client.head_bucket(Bucket=default_storage.bucket_name)
    except Exception as error:  # noqa: BLE001
        return type(error).__name__
    return None


PROBES = {
    "database": database_problem,
    "cache": cache_problem,
    "broker": broker_problem,
    "storage": storage_problem,
}


def readiness_problems():
    """What stops this server from serving pages: the names of the failing services."""
    return ["database"] if database_problem() else []


def service_report():
    """{"status", "failing", "services": {name: "ok" or the reason}}, probed at most once per window."""
    report = cache.get(DETAIL_CACHE_KEY)
    if report is None:
        services = {name: (probe() or "ok") for name, probe in PROBES.items()}
        failing = sorted(name for name, state in services.items() if state != "ok")
        report = {
            "status": "ok" if not failing else "down",
            "failing": failing,
            "services": services,
            **replication_report(),
        }
        cache.set(DETAIL_CACHE_KEY, report, DETAIL_CACHE_SECONDS)
    return report


def replication_report():
    """For operators, beside service_report: each read replica's replay lag in
    seconds (None when it cannot be reached; reads then go to the primary)."""
    return {"replica_lag_seconds": replica_lag_seconds()}
