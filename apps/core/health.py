"""Probes of each service the site uses, for /healthz.

Each probe returns None when the service answers, or a short reason. They talk
to the services directly: the cache backend swallows Redis errors on purpose
(the site must degrade, not fail), so asking it would always say "up".
"""

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection

from .replicas import replica_lag_seconds

PROBE_TIMEOUT_SECONDS = 1


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
    try:
        default_storage.connection.meta.client.head_bucket(Bucket=default_storage.bucket_name)
    except Exception as error:  # noqa: BLE001
        return type(error).__name__
    return None


PROBES = {
    "database": database_problem,
    "cache": cache_problem,
    "broker": broker_problem,
    "storage": storage_problem,
}


def service_report():
    """Map each service to "ok" or the reason it is down."""
    return {name: (probe() or "ok") for name, probe in PROBES.items()}


def replication_report():
    """For operators, beside service_report: each read replica's replay lag in
    seconds (None when it cannot be reached; reads then go to the primary)."""
    return {"replica_lag_seconds": replica_lag_seconds()}
