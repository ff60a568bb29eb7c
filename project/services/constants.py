"""Where the local services listen and how to reach them: the only module of
project.services that settings import. Standard library only.

Ports come from BROADSHEET_PG_PORT, BROADSHEET_PG_REPLICA_PORT,
BROADSHEET_REDIS_BROKER_PORT, BROADSHEET_REDIS_CACHE_PORT and BROADSHEET_S3_PORT
when set, so several checkouts on one machine each run their own services.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
SERVICES_DIR = PROJECT_ROOT / ".services"
HOST = "127.0.0.1"

PG_PORT = int(os.environ.get("BROADSHEET_PG_PORT", "55432"))
# The primary's hot standby, streaming from its replication slot.
PG_REPLICA_PORT = int(os.environ.get("BROADSHEET_PG_REPLICA_PORT", "55433"))
REPLICATION_SLOT = "broadsheet_replica"
REDIS_BROKER_PORT = int(os.environ.get("BROADSHEET_REDIS_BROKER_PORT", "56379"))
REDIS_CACHE_PORT = int(os.environ.get("BROADSHEET_REDIS_CACHE_PORT", "56380"))
S3_PORT = int(os.environ.get("BROADSHEET_S3_PORT", "59000"))

# Credentials of loopback-only development services, not secrets. The S3
# server checks every request's signature against its identities
# (project/services/seaweedfs.py): the admin key creates the buckets and
# nothing else uses it; settings get only the app's key, limited to its buckets.
DB_NAME = DB_USER = DB_PASSWORD = "broadsheet"  # noqa: S105
S3_ADMIN_ACCESS_KEY = "broadsheet-admin"
S3_ADMIN_SECRET_KEY = "broadsheet-admin-local-only"  # noqa: S105
S3_ACCESS_KEY = "broadsheet-app"
S3_SECRET_KEY = "broadsheet-app-local-only"  # noqa: S105
S3_BUCKET = "broadsheet-media"
S3_TEST_BUCKET = "broadsheet-test"
# Each bucket's mirror: a copy of every upload that deletes never reach (apps/images/mirror.py).
S3_MIRROR_BUCKET = "broadsheet-media-mirror"
S3_TEST_MIRROR_BUCKET = "broadsheet-test-mirror"
S3_REGION = "us-east-1"


def database_url(port: int = PG_PORT) -> str:
    return f"postgres://{DB_USER}:{DB_PASSWORD}@{HOST}:{port}/{DB_NAME}"


def redis_url(port: int, database: int = 0) -> str:
    return f"redis://{HOST}:{port}/{database}"


def http_url(port: int) -> str:
    return f"http://{HOST}:{port}"


DATABASE_URL = database_url()
REPLICA_DATABASE_URL = database_url(PG_REPLICA_PORT)
BROKER_URL = redis_url(REDIS_BROKER_PORT)
CACHE_URL = redis_url(REDIS_CACHE_PORT)
S3_ENDPOINT_URL = http_url(S3_PORT)


def service_urls() -> dict[str, str]:
    """Everything the settings need to reach the local services."""
    return {
        "DATABASE_URL": DATABASE_URL,
        "REPLICA_DATABASE_URL": REPLICA_DATABASE_URL,
        "CACHE_URL": CACHE_URL,
        "BROKER_URL": BROKER_URL,
        "S3_ENDPOINT_URL": S3_ENDPOINT_URL,
        "S3_ACCESS_KEY": S3_ACCESS_KEY,
        "S3_SECRET_KEY": S3_SECRET_KEY,
        "S3_REGION": S3_REGION,
        "S3_BUCKET": S3_BUCKET,
        "S3_TEST_BUCKET": S3_TEST_BUCKET,
        "S3_MIRROR_BUCKET": S3_MIRROR_BUCKET,
        "S3_TEST_MIRROR_BUCKET": S3_TEST_MIRROR_BUCKET,
    }
