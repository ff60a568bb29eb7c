"""The typed reader for config.json, the deploy settings' only source of secrets.

The chapter prefers one JSON file written by configuration management over
environment variables: values keep their types (bools, ints, lists) and every
entry point (gunicorn, Celery, manage.py, cron) reads the same file. A bad file
stops the process with one line that names the problem, never a traceback.
"""

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

# How config.json.example's secrets begin: a copied example must not sign real
# sessions or open the operators' health report.
PLACEHOLDER_PREFIX = "replace with the output of"
GENERATOR_COMMAND = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"

TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer", list: "a list", dict: "an object"}

# The three kinds of key, as in the chapter.
REQUIRED = "required"  # the process refuses to start without it
OPTIONAL = "optional"  # absent means the feature is off (or none of the list)
OVERRIDE = "override"  # absent means the default, from base.py or a safe deploy default


@dataclass(frozen=True)
class Key:
    name: str
    kind: str
    type: type = str
    default: object = None


# Every key config.json may hold, declared once: read_deploy_config() reads
# them in this order, and docs/configuration.md's table and config.json.example
# are checked against this list (tests/project/test_config_doc.py).
CONFIG_KEYS = (
    Key("SECRET_KEY", REQUIRED),
    Key("ALLOWED_HOSTS", REQUIRED, list),
    Key("SITE_URL", REQUIRED),
    Key("DATABASE_URL", REQUIRED),
    Key("CACHE_URL", REQUIRED),
    Key("CELERY_BROKER_URL", REQUIRED),
    Key("AWS_STORAGE_BUCKET_NAME", REQUIRED),
    Key("AWS_S3_ENDPOINT_URL", OPTIONAL),
    Key("AWS_ACCESS_KEY_ID", OPTIONAL),
    Key("AWS_SECRET_ACCESS_KEY", OPTIONAL),
    Key("AWS_S3_CUSTOM_DOMAIN", OPTIONAL),
    Key("CSRF_TRUSTED_ORIGINS", OPTIONAL, list, []),
    Key("TRUSTED_PROXIES", OPTIONAL, list, []),
    Key("HEALTHZ_DETAIL_TOKEN", OPTIONAL),
    Key("DATABASE_REPLICA_URLS", OPTIONAL, list, []),
    Key("DEBUG", OVERRIDE, bool, False),
    Key("AWS_S3_REGION_NAME", OVERRIDE, str, "us-east-1"),
    Key("HTTPS", OVERRIDE, bool, True),
    Key("SECURE_HSTS_SECONDS", OVERRIDE, int, 60 * 60 * 24 * 365),
    Key("SECURE_HSTS_INCLUDE_SUBDOMAINS", OVERRIDE, bool, False),
    Key("SECURE_HSTS_PRELOAD", OVERRIDE, bool, False),
    Key("PROXY_SETS_X_FORWARDED_PROTO", OVERRIDE, bool, False),
    Key("DATABASE_CONN_MAX_AGE", OVERRIDE, int, 60),
    Key("DATABASE_REPLICA_MAX_LAG_SECONDS", OVERRIDE, int, 5),
    Key("TIME_ZONE", OVERRIDE, str, "UTC"),
    Key("SERVER_TIMING_PUBLIC", OVERRIDE, bool, False),
)
KEYS_BY_NAME = {key.name: key for key in CONFIG_KEYS}


class ConfigError(Exception):
    """A config.json problem, worded as the one line an operator sees."""


class Config:
    def __init__(self, values, source_name):
        if not isinstance(values, dict):
            raise ConfigError(f"{source_name}: the top level must be an object")
        self.values = values
        self.source_name = source_name
        self.read_keys = set()

    @classmethod
    def from_file(cls, path):
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: file not found (set BROADSHEET_CONFIG to its path)") from None
        try:
            values = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(
                f"{path.name}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
            ) from None
        return cls(values, path.name)

    def required(self, key, expected_type=str):
        if key not in self.values:
            raise ConfigError(f'{self.source_name}: missing required key "{key}"')
        return self._typed(key, expected_type)

    def optional(self, key, expected_type=str, default=None):
        """Return the key's value, or `default` (often the base setting) when absent."""
        if key not in self.values:
            self.read_keys.add(key)
            return default
        return self._typed(key, expected_type)

    def read(self, name):
        """The value of a key declared in CONFIG_KEYS, by its kind, type and default."""
        key = KEYS_BY_NAME[name]
        if key.kind == REQUIRED:
            return self.required(name, key.type)
        default = list(key.default) if isinstance(key.default, list) else key.default
        return self.optional(name, key.type, default)

    def reject_unknown_keys(self):
        unknown_keys = sorted(set(self.values) - self.read_keys)
        if unknown_keys:
            raise ConfigError(f'{self.source_name}: unknown key "{unknown_keys[0]}" (a typo?)')

    def _typed(self, key, expected_type):
        self.read_keys.add(key)
        value = self.values[key]
        # bool is a subclass of int in Python: "DEBUG": 1 or "WORKERS": true must not slip through.
        type_matches = isinstance(value, expected_type) and not (
            expected_type is int and isinstance(value, bool)
        )
        if not type_matches:
            expected = TYPE_NAMES[expected_type]
            raise ConfigError(f'{self.source_name}: key "{key}" must be {expected}, got {json.dumps(value)}')
        if expected_type is str and not value.strip():
            raise ConfigError(f'{self.source_name}: key "{key}" must not be empty')
        return value


def database_from_url(url, **extra):
    """Turn postgres://user:password@host:port/name into a DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or not parts.path.strip("/"):
        raise ConfigError(
            f"database URL must look like postgres://user:password@host:port/name, got {parts.scheme}://…"
        )
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        **extra,
    }


def refuse_placeholder(config, key, value):
    if value is not None and value.startswith(PLACEHOLDER_PREFIX):
        raise ConfigError(
            f'{config.source_name}: key "{key}" is the placeholder from config.json.example; '
            f"generate one with: {GENERATOR_COMMAND}"
        )
    return value


def site_url_from(config):
    """The public origin every absolute URL is built from, e.g. https://example.com."""
    site_url = config.read("SITE_URL").rstrip("/")
    parts = urlsplit(site_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ConfigError(
            f'{config.source_name}: key "SITE_URL" must look like https://host[:port] with no path, '
            f"got {json.dumps(site_url)}"
        )
    return site_url


def trusted_proxies_from(config):
    """Addresses or networks (10.0.0.0/8) of the proxies whose X-Forwarded-For is believed."""
    trusted_proxies = config.read("TRUSTED_PROXIES")
    for entry in trusted_proxies:
        try:
            ipaddress.ip_network(entry, strict=False)
        except (TypeError, ValueError):
            raise ConfigError(
                f'{config.source_name}: key "TRUSTED_PROXIES" holds {json.dumps(entry)}, not an address'
            ) from None
    return trusted_proxies


def replica_databases(source_name, replica_urls, conn_max_age):
    """{"replica_1": DATABASES entry, ...}: one alias per URL of DATABASE_REPLICA_URLS."""
    replicas = {}
    for number, url in enumerate(replica_urls, start=1):
        try:
            if not isinstance(url, str):
                raise ConfigError(f"each item must be a database URL, got {json.dumps(url)}")
            # A short connect timeout: a dead replica costs a reader one second, then the primary serves.
            replicas[f"replica_{number}"] = database_from_url(
                url, CONN_MAX_AGE=conn_max_age, CONN_HEALTH_CHECKS=True, OPTIONS={"connect_timeout": 2}
            )
        except ConfigError as error:
            raise ConfigError(f'{source_name}: key "DATABASE_REPLICA_URLS": {error}') from None
    return replicas


def read_deploy_config(config):
    """Return the settings config.json sets; raise ConfigError naming a bad key."""
    settings = {key.name: config.read(key.name) for key in CONFIG_KEYS}
    config.reject_unknown_keys()

    settings["SECRET_KEY"] = refuse_placeholder(config, "SECRET_KEY", settings["SECRET_KEY"])
    settings["HEALTHZ_DETAIL_TOKEN"] = refuse_placeholder(
        config, "HEALTHZ_DETAIL_TOKEN", settings["HEALTHZ_DETAIL_TOKEN"]
    )
    settings["SITE_URL"] = site_url_from(config)
    settings["TRUSTED_PROXIES"] = trusted_proxies_from(config)
    settings["REPLICA_MAX_LAG_SECONDS"] = settings.pop("DATABASE_REPLICA_MAX_LAG_SECONDS")

    conn_max_age = settings.pop("DATABASE_CONN_MAX_AGE")
    settings["DATABASE"] = database_from_url(
        settings.pop("DATABASE_URL"), CONN_MAX_AGE=conn_max_age, CONN_HEALTH_CHECKS=True
    )
    settings["DATABASE_REPLICAS"] = replica_databases(
        config.source_name, settings.pop("DATABASE_REPLICA_URLS"), conn_max_age
    )
    return settings
