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
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dj_database_url

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
    Key("AWS_MEDIA_MIRROR_BUCKET_NAME", OPTIONAL),
    Key("CSRF_TRUSTED_ORIGINS", OPTIONAL, list, []),
    Key("TRUSTED_PROXIES", OPTIONAL, list, []),
    Key("HEALTHZ_DETAIL_TOKEN", OPTIONAL),
    Key("DATABASE_REPLICA_URLS", OPTIONAL, list, []),
    Key("EDGE_PURGE_URLS", OPTIONAL, list, []),
    Key("DEBUG", OVERRIDE, bool, False),
    Key("AWS_S3_REGION_NAME", OVERRIDE, str, "us-east-1"),
    Key("HTTPS", OVERRIDE, bool, True),
    Key("SECURE_HSTS_SECONDS", OVERRIDE, int, 60 * 60 * 24 * 365),
    Key("SECURE_HSTS_INCLUDE_SUBDOMAINS", OVERRIDE, bool, False),
    Key("SECURE_HSTS_PRELOAD", OVERRIDE, bool, False),
    Key("BEHIND_PROXY", OVERRIDE, bool, True),
    Key("PROXY_SETS_X_FORWARDED_PROTO", OVERRIDE, bool, False),
    Key("DATABASE_CONN_MAX_AGE", OVERRIDE, int, 60),
    Key("DATABASE_REPLICA_MAX_LAG_SECONDS", OVERRIDE, int, 5),
    Key("TIME_ZONE", OVERRIDE, str, "UTC"),
    Key("SERVER_TIMING_PUBLIC", OVERRIDE, bool, False),
    Key("PAGE_MISSES_PER_CLIENT", OVERRIDE, int, 120),
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


# libpq options naming a file: a missing one is refused when the config is read,
# not at the first connection ("system" is libpq's own store of root certificates).
DATABASE_FILE_OPTIONS = ("sslrootcert", "sslcert", "sslkey", "sslcrl", "sslcrldir", "passfile")


def database_from_url(url, **extra):
    """Turn postgres://user:password@host:port/name?option=value into a DATABASES entry.

    dj-database-url parses it; every query option is a libpq connection
    parameter (sslmode, sslrootcert, connect_timeout, application_name,
    options, ...) and reaches the connection through OPTIONS, over extra's.
    An option libpq does not know is refused, naming it.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or not parts.path.strip("/"):
        raise ConfigError(
            f"database URL must look like postgres://user:password@host:port/name, got {parts.scheme}://…"
        )
    try:
        entry = dj_database_url.parse(url)
    except ValueError as error:
        raise ConfigError(f"cannot be parsed: {error}") from None
    url_options = entry.pop("OPTIONS", {})
    for name, value in url_options.items():
        check_database_option(name, value)
    options = {**extra.pop("OPTIONS", {}), **url_options}
    # dj-database-url's own defaults (CONN_MAX_AGE=0, ...) give way to extra's.
    entry = {key: entry[key] for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST")} | {
        "PORT": str(entry["PORT"])
    }
    return {**entry, **({"OPTIONS": options} if options else {}), **extra}


def check_database_option(name, value):
    """Refuse a query option libpq would reject at the first connection, or a missing file."""
    from psycopg2 import ProgrammingError
    from psycopg2.extensions import parse_dsn

    if isinstance(value, list):
        raise ConfigError(f'option "{name}" is given more than once')
    try:
        # libpq's own parser knows every connection parameter of the installed version.
        parse_dsn(f"{name}=x")
    except ProgrammingError:
        raise ConfigError(f'unknown option "{name}" (not a libpq connection parameter)') from None
    if name in DATABASE_FILE_OPTIONS and value != "system" and not Path(str(value)).exists():
        raise ConfigError(f'option "{name}" names a file that does not exist: {value}')


# The options a Redis URL may carry. rediss:// always verifies the server's
# certificate and host name (redis-py and kombu alike): ssl_cert_reqs=required
# is added when absent, and nothing may turn the checks off.
REDIS_TLS_FILE_OPTIONS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile")
REDIS_CHECKS_THAT_STAY_ON = {"ssl_cert_reqs": "required", "ssl_check_hostname": "true"}


def redis_url_from(config, key):
    """The key's redis:// or rediss:// URL, with certificate checks made explicit."""
    url = config.read(key)
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError(
            f'{config.source_name}: key "{key}" must look like redis://host:port/db or '
            f"rediss://host:port/db, got {parts.scheme}://…"
        )
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name, value in options.items():
        if parts.scheme == "rediss" and name in REDIS_CHECKS_THAT_STAY_ON:
            if value.lower() != REDIS_CHECKS_THAT_STAY_ON[name]:
                raise ConfigError(
                    f'{config.source_name}: key "{key}": option "{name}={value}" would turn certificate '
                    "checks off; rediss:// always verifies the server"
                )
        elif parts.scheme == "rediss" and name in REDIS_TLS_FILE_OPTIONS:
            if not Path(value).exists():
                raise ConfigError(
                    f'{config.source_name}: key "{key}": option "{name}" names a file that does not exist: '
                    f"{value}"
                )
        else:
            raise ConfigError(f'{config.source_name}: key "{key}": unknown option "{name}"')
    if parts.scheme == "rediss":
        options = {"ssl_cert_reqs": "required", **options}
    return urlunsplit(parts._replace(query=urlencode(options)))


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


# Every IPv4 address, spelled as IPv6: apps/security/clients.py unwraps it to 0.0.0.0/0.
IPV4_MAPPED_NETWORK = ipaddress.ip_network("::ffff:0:0/96")


def trusts_every_address(network):
    return network.prefixlen == 0 or (network.version == 6 and network.supernet_of(IPV4_MAPPED_NETWORK))


def trusted_proxies_from(config):
    """Addresses or networks (10.0.0.0/8) of the proxies whose X-Forwarded-For is believed.

    Behind a proxy (BEHIND_PROXY, true unless clients connect to gunicorn
    directly) the list must name it: otherwise every client has the proxy's
    address and shares one budget of every limit (20 wrong passwords from
    anywhere would lock out every editor). A network holding every address
    (0.0.0.0/0, ::/0) would let any client choose its own address.
    """
    trusted_proxies = config.read("TRUSTED_PROXIES")
    for entry in trusted_proxies:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except (TypeError, ValueError):
            raise ConfigError(
                f'{config.source_name}: key "TRUSTED_PROXIES" holds {json.dumps(entry)}, not an address'
            ) from None
        if trusts_every_address(network):
            raise ConfigError(
                f'{config.source_name}: key "TRUSTED_PROXIES" holds {json.dumps(entry)}, which trusts every '
                "address: any client could choose its own with X-Forwarded-For; list only your proxies"
            )
    behind_proxy = config.read("BEHIND_PROXY")
    if behind_proxy and not trusted_proxies:
        raise ConfigError(
            f'{config.source_name}: key "TRUSTED_PROXIES" is empty but "BEHIND_PROXY" is true: every client '
            "would have the proxy's address; list the proxy's address or network, or set \"BEHIND_PROXY\": "
            "false if clients connect directly"
        )
    if not behind_proxy and config.read("PROXY_SETS_X_FORWARDED_PROTO"):
        raise ConfigError(
            f'{config.source_name}: key "PROXY_SETS_X_FORWARDED_PROTO" is true but "BEHIND_PROXY" is false: '
            "with no proxy in front, any client could claim HTTPS"
        )
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


def edge_purge_urls_from(config, urls):
    """Each edge cache's own address (http://varnish-1:6081), where the purges by key go."""
    for url in urls:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f'{config.source_name}: key "EDGE_PURGE_URLS": {json.dumps(url)} is not an http(s):// address'
            )
    return urls


def read_deploy_config(config):
    """Return the settings config.json sets; raise ConfigError naming a bad key."""
    settings = {key.name: config.read(key.name) for key in CONFIG_KEYS}
    config.reject_unknown_keys()

    settings["SECRET_KEY"] = refuse_placeholder(config, "SECRET_KEY", settings["SECRET_KEY"])
    settings["HEALTHZ_DETAIL_TOKEN"] = refuse_placeholder(
        config, "HEALTHZ_DETAIL_TOKEN", settings["HEALTHZ_DETAIL_TOKEN"]
    )
    settings["SITE_URL"] = site_url_from(config)
    settings["CACHE_URL"] = redis_url_from(config, "CACHE_URL")
    settings["CELERY_BROKER_URL"] = redis_url_from(config, "CELERY_BROKER_URL")
    settings["TRUSTED_PROXIES"] = trusted_proxies_from(config)
    settings["EDGE_PURGE_URLS"] = edge_purge_urls_from(config, settings["EDGE_PURGE_URLS"])
    settings["REPLICA_MAX_LAG_SECONDS"] = settings.pop("DATABASE_REPLICA_MAX_LAG_SECONDS")

    conn_max_age = settings.pop("DATABASE_CONN_MAX_AGE")
    try:
        settings["DATABASE"] = database_from_url(
            settings.pop("DATABASE_URL"), CONN_MAX_AGE=conn_max_age, CONN_HEALTH_CHECKS=True
        )
    except ConfigError as error:
        raise ConfigError(f'{config.source_name}: key "DATABASE_URL": {error}') from None
    settings["DATABASE_REPLICAS"] = replica_databases(
        config.source_name, settings.pop("DATABASE_REPLICA_URLS"), conn_max_age
    )
    return settings
