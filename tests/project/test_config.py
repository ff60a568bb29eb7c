import pytest

from project.config import Config, ConfigError, database_from_url, site_url_from, trusted_proxies_from


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
