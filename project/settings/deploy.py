"""Settings for every non-local environment: stage, production, docker compose.

Secrets and per-environment values come from config.json (path in
BROADSHEET_CONFIG, default config.json at the project root). Keys are of three
kinds, as in the chapter: required, optional, and overriding a base default.
"""

import os
import sys

from project.config import Config, ConfigError, database_from_url

from .base import *  # noqa: F403
from .base import BASE_DIR, CACHES, DATABASES, TEMPLATES

CONFIG_PATH = os.environ.get("BROADSHEET_CONFIG", BASE_DIR / "config.json")


def read_config(config):
    """Return the settings config.json sets; raise ConfigError naming a bad key."""
    settings = {}

    # Required: the process refuses to start without them.
    settings["SECRET_KEY"] = config.required("SECRET_KEY")
    settings["ALLOWED_HOSTS"] = config.required("ALLOWED_HOSTS", list)
    database_url = config.required("DATABASE_URL")
    settings["CACHE_URL"] = config.required("CACHE_URL")
    settings["CELERY_BROKER_URL"] = config.required("CELERY_BROKER_URL")
    settings["AWS_STORAGE_BUCKET_NAME"] = config.required("AWS_STORAGE_BUCKET_NAME")

    # Optional: absent means the feature or override is off.
    settings["AWS_S3_ENDPOINT_URL"] = config.optional("AWS_S3_ENDPOINT_URL")
    settings["AWS_ACCESS_KEY_ID"] = config.optional("AWS_ACCESS_KEY_ID")
    settings["AWS_SECRET_ACCESS_KEY"] = config.optional("AWS_SECRET_ACCESS_KEY")
    settings["AWS_S3_CUSTOM_DOMAIN"] = config.optional("AWS_S3_CUSTOM_DOMAIN")
    settings["CSRF_TRUSTED_ORIGINS"] = config.optional("CSRF_TRUSTED_ORIGINS", list, [])

    # Overrides: a default from base.py (or a safe deploy default) unless set.
    settings["DEBUG"] = config.optional("DEBUG", bool, False)
    settings["AWS_S3_REGION_NAME"] = config.optional("AWS_S3_REGION_NAME", str, "us-east-1")
    settings["SECURE_SSL_REDIRECT"] = config.optional("SECURE_SSL_REDIRECT", bool, True)
    settings["SECURE_HSTS_SECONDS"] = config.optional("SECURE_HSTS_SECONDS", int, 60 * 60 * 24 * 365)
    settings["DATABASE_CONN_MAX_AGE"] = config.optional("DATABASE_CONN_MAX_AGE", int, 60)
    settings["TIME_ZONE"] = config.optional("TIME_ZONE", str, "UTC")

    settings["DATABASE"] = database_from_url(
        database_url, CONN_MAX_AGE=settings.pop("DATABASE_CONN_MAX_AGE"), CONN_HEALTH_CHECKS=True
    )
    config.reject_unknown_keys()
    return settings


try:
    CONFIG = read_config(Config.from_file(CONFIG_PATH))
except ConfigError as error:
    # One line naming the problem, not a traceback: this is what an operator reads.
    sys.exit(str(error))

SECRET_KEY = CONFIG["SECRET_KEY"]
DEBUG = CONFIG["DEBUG"]
ALLOWED_HOSTS = CONFIG["ALLOWED_HOSTS"]
CSRF_TRUSTED_ORIGINS = CONFIG["CSRF_TRUSTED_ORIGINS"]
TIME_ZONE = CONFIG["TIME_ZONE"]

DATABASES["default"] = CONFIG["DATABASE"]
CACHES["default"]["LOCATION"] = CONFIG["CACHE_URL"]
CELERY_BROKER_URL = CONFIG["CELERY_BROKER_URL"]

AWS_STORAGE_BUCKET_NAME = CONFIG["AWS_STORAGE_BUCKET_NAME"]
AWS_S3_ENDPOINT_URL = CONFIG["AWS_S3_ENDPOINT_URL"]
AWS_ACCESS_KEY_ID = CONFIG["AWS_ACCESS_KEY_ID"]
AWS_SECRET_ACCESS_KEY = CONFIG["AWS_SECRET_ACCESS_KEY"]
AWS_S3_REGION_NAME = CONFIG["AWS_S3_REGION_NAME"]
AWS_S3_CUSTOM_DOMAIN = CONFIG["AWS_S3_CUSTOM_DOMAIN"]
if AWS_S3_CUSTOM_DOMAIN:
    MEDIA_URL = f"https://{AWS_S3_CUSTOM_DOMAIN}/"
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
STORAGES["staticfiles"] = {"BACKEND": "apps.core.storage.PipelineManifestStorage"}

# ---------------------------------------------------------------- security

SECURE_SSL_REDIRECT = CONFIG["SECURE_SSL_REDIRECT"]
SECURE_HSTS_SECONDS = CONFIG["SECURE_HSTS_SECONDS"]
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The load balancer's health probe speaks plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
