"""Settings for every non-local environment: stage, production, docker compose.

Secrets and per-environment values come from config.json (path in
BROADSHEET_CONFIG, default config.json at the project root). Keys are of three
kinds, as in the chapter: required, optional, and overriding a base default.
"""

import os
import sys

from project.config import Config, ConfigError, read_deploy_config
from project.database_limits import with_limits

from .base import *  # noqa: F403
from .base import (
    BASE_DIR,
    CACHES,
    DATABASE_CONNECT_TIMEOUT_SECONDS,
    DATABASE_REPLICA_CONNECT_TIMEOUT_SECONDS,
    DATABASE_SESSION_LIMITS_MS,
    DATABASES,
    TEMPLATES,
)

CONFIG_PATH = os.environ.get("BROADSHEET_CONFIG", BASE_DIR / "config.json")

try:
    CONFIG = read_deploy_config(Config.from_file(CONFIG_PATH))
except ConfigError as error:
    # One line naming the problem, not a traceback: this is what an operator reads.
    sys.exit(str(error))

SECRET_KEY = CONFIG["SECRET_KEY"]
DEBUG = CONFIG["DEBUG"]
ALLOWED_HOSTS = CONFIG["ALLOWED_HOSTS"]
SITE_URL = CONFIG["SITE_URL"]
TRUSTED_PROXIES = CONFIG["TRUSTED_PROXIES"]
HEALTHZ_DETAIL_TOKEN = CONFIG["HEALTHZ_DETAIL_TOKEN"]
CSRF_TRUSTED_ORIGINS = CONFIG["CSRF_TRUSTED_ORIGINS"]
TIME_ZONE = CONFIG["TIME_ZONE"]
SERVER_TIMING_PUBLIC = CONFIG["SERVER_TIMING_PUBLIC"]
PAGE_MISSES_PER_CLIENT = CONFIG["PAGE_MISSES_PER_CLIENT"]
EDGE_PURGE_URLS = CONFIG["EDGE_PURGE_URLS"]

# The same connect timeouts and session limits as base.py's (project/database_limits.py).
DATABASES["default"] = with_limits(
    CONFIG["DATABASE"], DATABASE_CONNECT_TIMEOUT_SECONDS, DATABASE_SESSION_LIMITS_MS["web"]
)
# Reads go to the replicas of DATABASE_REPLICA_URLS; without it, to the primary alone.
del DATABASES["replica"]
for alias, replica in CONFIG["DATABASE_REPLICAS"].items():
    DATABASES[alias] = with_limits(
        replica, DATABASE_REPLICA_CONNECT_TIMEOUT_SECONDS, DATABASE_SESSION_LIMITS_MS["web"]
    )
READ_REPLICAS = list(CONFIG["DATABASE_REPLICAS"])
REPLICA_MAX_LAG_SECONDS = CONFIG["REPLICA_MAX_LAG_SECONDS"]
REPLICA_READ_YOUR_WRITES_SECONDS = 2 * REPLICA_MAX_LAG_SECONDS
CACHES["default"]["LOCATION"] = CONFIG["CACHE_URL"]
CELERY_BROKER_URL = CONFIG["CELERY_BROKER_URL"]

AWS_STORAGE_BUCKET_NAME = CONFIG["AWS_STORAGE_BUCKET_NAME"]
AWS_S3_ENDPOINT_URL = CONFIG["AWS_S3_ENDPOINT_URL"]
AWS_ACCESS_KEY_ID = CONFIG["AWS_ACCESS_KEY_ID"]
AWS_SECRET_ACCESS_KEY = CONFIG["AWS_SECRET_ACCESS_KEY"]
AWS_S3_REGION_NAME = CONFIG["AWS_S3_REGION_NAME"]
AWS_S3_CUSTOM_DOMAIN = CONFIG["AWS_S3_CUSTOM_DOMAIN"]
# None: no mirror, and the media cleanup deletes nothing (apps/images/cleanup.py).
AWS_MEDIA_MIRROR_BUCKET_NAME = CONFIG["AWS_MEDIA_MIRROR_BUCKET_NAME"]
if AWS_S3_CUSTOM_DOMAIN:
    MEDIA_URL = f"{'https' if CONFIG['HTTPS'] else 'http'}://{AWS_S3_CUSTOM_DOMAIN}/"
elif AWS_S3_ENDPOINT_URL:
    MEDIA_URL = f"{AWS_S3_ENDPOINT_URL}/{AWS_STORAGE_BUCKET_NAME}/"
else:
    MEDIA_URL = f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com/"

# Parse each template once per process instead of on every render.
TEMPLATES[0]["APP_DIRS"] = False
TEMPLATES[0]["OPTIONS"]["loaders"] = [
    (
        "django.template.loaders.cached.Loader",
        [
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    ),
]

# Versioned, compressed static files, served by whitenoise with far-future headers.
STORAGES["staticfiles"] = {"BACKEND": "project.static_files.PipelineManifestStorage"}

# ---------------------------------------------------------------- security

# HTTPS is false only for a local `docker compose up` on http://localhost.
HTTPS = CONFIG["HTTPS"]
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = CONFIG["SECURE_HSTS_SECONDS"] if HTTPS else 0
# Both bind every subdomain to HTTPS (preload: in browsers' built-in lists, for
# months), so they are the operator's decision; the deploy check's reminders
# about them are silenced only while config leaves them off.
SECURE_HSTS_INCLUDE_SUBDOMAINS = CONFIG["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
SECURE_HSTS_PRELOAD = CONFIG["SECURE_HSTS_PRELOAD"]
SILENCED_SYSTEM_CHECKS = [
    check_id
    for check_id, turned_on in (
        ("security.W005", SECURE_HSTS_INCLUDE_SUBDOMAINS),
        ("security.W021", SECURE_HSTS_PRELOAD),
    )
    if not turned_on
]
# Any client can send X-Forwarded-Proto: believed only when a proxy in front
# of every request sets (and overwrites) it.
if CONFIG["PROXY_SETS_X_FORWARDED_PROTO"]:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The load balancer's health probe speaks plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
AWS_S3_URL_PROTOCOL = "https:" if HTTPS else "http:"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
