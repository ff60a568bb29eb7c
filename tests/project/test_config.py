import re

import pytest

from project.config import (
    Config,
    ConfigError,
    database_from_url,
    redis_url_from,
    site_url_from,
    trusted_proxies_from,
)


def test_optional_key_falls_back_to_the_default():
    config = Config({}, "config.json")
    assert config.optional("TIME_ZONE", str, "UTC") == "UTC"


def test_list_key_given_a_string_is_refused():
    config = Config({"ALLOWED_HOSTS": "example.com"}, "config.json")
    with pytest.raises(ConfigError, match=r'key "ALLOWED_HOSTS" must be a list, got "example.com"'):
        config.required("ALLOWED_HOSTS", list)


def test_empty_required_string_is_refused():
    config = Config({"SECRET_KEY": "  "}, "config.json")
    with pytest.raises(ConfigError, match=r'key "SECRET_KEY" must not be empty'):
        config.required("SECRET_KEY")


def test_top_level_must_be_an_object():
    with pytest.raises(ConfigError, match="top level must be an object"):
        Config(["SECRET_KEY"], "config.json")


def test_database_url_becomes_a_databases_entry():
    database = database_from_url("postgres://app:p%40ss@db.internal:5433/site", CONN_MAX_AGE=60)
    assert database == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "site",
        "USER": "app",
        "PASSWORD": "p@ss",
        "HOST": "db.internal",
        "PORT": "5433",
        "CONN_MAX_AGE": 60,
    }


def test_database_url_of_another_engine_is_refused():
    with pytest.raises(ConfigError, match="database URL must look like postgres://"):
        database_from_url("mysql://app@db/site")


def test_site_url_with_a_path_is_refused():
    with pytest.raises(ConfigError, match=r'key "SITE_URL" must look like https://host\[:port\]'):
        site_url_from(Config({"SITE_URL": "https://example.com/blog/"}, "config.json"))


def test_site_url_without_a_scheme_is_refused():
    with pytest.raises(ConfigError, match=r'key "SITE_URL" must look like https://host\[:port\]'):
        site_url_from(Config({"SITE_URL": "example.com"}, "config.json"))


def test_site_url_keeps_scheme_host_and_port_without_a_trailing_slash():
    assert site_url_from(Config({"SITE_URL": "http://localhost:8000/"}, "config.json")) == (
        "http://localhost:8000"
    )


def test_trusted_proxy_that_is_not_an_address_is_refused():
    with pytest.raises(ConfigError, match=r'key "TRUSTED_PROXIES" holds "lb.internal", not an address'):
        trusted_proxies_from(Config({"TRUSTED_PROXIES": ["10.0.0.0/8", "lb.internal"]}, "config.json"))


def test_database_url_keeps_its_libpq_options_over_the_defaults(tmp_path):
    ca = tmp_path / "root.crt"
    ca.write_text("a CA")
    url = f"postgres://app@db.internal/site?sslmode=verify-full&sslrootcert={ca}&connect_timeout=5"

    database = database_from_url(url, OPTIONS={"connect_timeout": 2}, CONN_MAX_AGE=60)

    assert database["OPTIONS"] == {"sslmode": "verify-full", "sslrootcert": str(ca), "connect_timeout": 5}
    assert database["CONN_MAX_AGE"] == 60


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sslmod=require", 'unknown option "sslmod" (not a libpq connection parameter)'),
        ("sslmode=require&sslmode=disable", 'option "sslmode" is given more than once'),
        (
            "sslrootcert=/nowhere/root.crt",
            'option "sslrootcert" names a file that does not exist: /nowhere/root.crt',
        ),
    ],
)
def test_database_url_with_a_bad_option_is_refused_naming_it(query, message):
    with pytest.raises(ConfigError) as refused:
        database_from_url(f"postgres://app@db.internal/site?{query}")
    assert str(refused.value) == message


def redis_url(url, key="CACHE_URL"):
    return redis_url_from(Config({key: url}, "config.json"), key)


def test_plain_redis_url_is_kept_as_it_is():
    assert redis_url("redis://cache.internal:6379/0") == "redis://cache.internal:6379/0"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://cache:6379/0?socket_timeout=5", 'key "CACHE_URL": unknown option "socket_timeout"'),
        ("rediss://cache:6379/0?ssl_ca_cert=/ca.pem", 'key "CACHE_URL": unknown option "ssl_ca_cert"'),
        ("redis://cache:6379/0?ssl_cert_reqs=required", 'key "CACHE_URL": unknown option "ssl_cert_reqs"'),
        (
            "rediss://cache:6379/0?ssl_ca_certs=/nowhere.pem",
            'option "ssl_ca_certs" names a file that does not',
        ),
        ("memcached://cache:11211", 'key "CACHE_URL" must look like redis://host:port/db or rediss://'),
    ],
)
def test_redis_url_with_a_bad_option_or_scheme_is_refused_naming_it(url, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        redis_url(url)


@pytest.mark.parametrize(
    "option", ["ssl_cert_reqs=none", "ssl_cert_reqs=optional", "ssl_check_hostname=false"]
)
def test_rediss_url_cannot_turn_certificate_checks_off(option):
    with pytest.raises(ConfigError, match=f'option "{option}" would turn certificate checks off'):
        redis_url(f"rediss://cache:6380/0?{option}", "CELERY_BROKER_URL")


def proxies_config(**values):
    return Config(values, "config.json")


@pytest.mark.parametrize("everyone", ["0.0.0.0/0", "::/0", "::ffff:0:0/96", "::/1", "0.0.0.0/0.0.0.0"])
def test_a_trusted_network_holding_every_address_is_refused(everyone):
    """Trusting every address lets any client write its own into X-Forwarded-For."""
    with pytest.raises(ConfigError, match=r'"TRUSTED_PROXIES" holds ".*", which trusts every address'):
        trusted_proxies_from(proxies_config(TRUSTED_PROXIES=["10.0.0.0/24", everyone]))


def test_behind_a_proxy_an_empty_trust_list_is_refused_by_default():
    message = r'^config.json: key "TRUSTED_PROXIES" is empty but "BEHIND_PROXY" is true: every client'
    with pytest.raises(ConfigError, match=message):
        trusted_proxies_from(proxies_config())
    with pytest.raises(ConfigError, match=message):
        trusted_proxies_from(proxies_config(TRUSTED_PROXIES=[], BEHIND_PROXY=True))


def test_clients_connecting_directly_need_no_trusted_proxy_but_may_not_claim_https():
    assert trusted_proxies_from(proxies_config(BEHIND_PROXY=False)) == []
    with pytest.raises(
        ConfigError, match=r'"PROXY_SETS_X_FORWARDED_PROTO" is true but "BEHIND_PROXY" is false'
    ):
        trusted_proxies_from(proxies_config(BEHIND_PROXY=False, PROXY_SETS_X_FORWARDED_PROTO=True))


def test_a_proxys_own_network_is_trusted():
    config = proxies_config(TRUSTED_PROXIES=["127.0.0.1", "10.77.20.0/24", "2001:db8::/64"])
    assert trusted_proxies_from(config) == ["127.0.0.1", "10.77.20.0/24", "2001:db8::/64"]
