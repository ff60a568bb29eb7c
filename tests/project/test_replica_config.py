"""config.json's replica keys: each URL becomes a database alias reads may use;
without the key every read goes to the primary, as before replicas existed."""

import pytest

from project.config import Config, ConfigError, read_deploy_config
from tests.support.deploy import filled_in_config, run_deployed_code, write_config

REQUIRED = {key: value for key, value in filled_in_config().items() if not key.startswith("DATABASE_REPLICA")}


def test_each_replica_url_becomes_an_alias_with_a_short_connect_timeout():
    urls = ["postgres://app:pw@replica-a:5432/site", "postgres://app:pw@replica-b:5433/site"]
    settings = read_deploy_config(Config({**REQUIRED, "DATABASE_REPLICA_URLS": urls}, "config.json"))

    assert list(settings["DATABASE_REPLICAS"]) == ["replica_1", "replica_2"]
    second = settings["DATABASE_REPLICAS"]["replica_2"]
    assert (second["HOST"], second["PORT"], second["NAME"]) == ("replica-b", "5433", "site")
    assert second["OPTIONS"] == {"connect_timeout": 2}
    assert second["CONN_MAX_AGE"] == settings["DATABASE"]["CONN_MAX_AGE"]


def test_without_replica_urls_there_is_no_replica_and_the_lag_bound_has_its_default():
    settings = read_deploy_config(Config(REQUIRED, "config.json"))
    assert settings["DATABASE_REPLICAS"] == {}
    assert settings["REPLICA_MAX_LAG_SECONDS"] == 5


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("postgres://app@replica/site", 'key "DATABASE_REPLICA_URLS" must be a list'),
        ([42], 'key "DATABASE_REPLICA_URLS": each item must be a database URL, got 42'),
        (["mysql://replica/site"], 'key "DATABASE_REPLICA_URLS": database URL must look like postgres://'),
    ],
)
def test_a_bad_replica_url_is_refused_naming_the_key(value, message):
    with pytest.raises(ConfigError, match=message):
        read_deploy_config(Config({**REQUIRED, "DATABASE_REPLICA_URLS": value}, "config.json"))


def test_deploy_settings_route_reads_to_the_configured_replicas_only(tmp_path):
    config_path = write_config(
        tmp_path, {**REQUIRED, "DATABASE_REPLICA_URLS": ["postgres://app:pw@replica-a/site"]}
    )
    completed = run_deployed_code(
        config_path,
        "from django.conf import settings\n"
        "print(sorted(settings.DATABASES), settings.READ_REPLICAS, settings.DATABASE_ROUTERS)",
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == (
        "['default', 'replica_1'] ['replica_1'] ['apps.replicas.router.ReplicaRouter']"
    )
