"""docker-compose.scale.yml, checked without a Docker engine as docker-compose.yml
is: parsed with PyYAML, merged by hand the way Compose merges an override, and
every name, port, file and config key checked against the project.

Compose's own `!reset` tag (v2.24+) is read as "this key is replaced by the
value given". What only `docker compose config` could check (the schema) is
not checked here."""

import json
import re
from pathlib import Path

import yaml

from project.config import Config, database_from_url, read_deploy_config
from tests.project.test_docker_compose import COMPOSE, DEPENDS_ON_CONDITIONS, SERVICES, interpolate

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ComposeLoader(yaml.SafeLoader):
    """PyYAML's safe loader plus Compose's `!reset` tag."""


ComposeLoader.add_constructor("!reset", lambda loader, node: loader.construct_sequence(node))
SCALE = yaml.load((PROJECT_ROOT / "docker-compose.scale.yml").read_text(), Loader=ComposeLoader)  # noqa: S506
SCALE_SERVICES = SCALE["services"]
MERGED_SERVICES = {
    name: {**SERVICES.get(name, {}), **SCALE_SERVICES.get(name, {})} for name in {*SERVICES, *SCALE_SERVICES}
}
ENVIRONMENT = {"BROADSHEET_SECRET_KEY": "a-secret"}


def scale_config():
    return json.loads(interpolate(SCALE["configs"]["broadsheet_config"]["content"], ENVIRONMENT))


def shell_command(service):
    return " ".join(SCALE_SERVICES[service]["command"])


def test_new_services_have_images_and_dependencies_that_exist():
    assert set(SCALE) <= {"services", "configs", "volumes"}
    for name, service in SCALE_SERVICES.items():
        assert name in SERVICES or "image" in service, name
        for dependency, options in service.get("depends_on", {}).items():
            assert dependency in MERGED_SERVICES, f"{name} depends on unknown {dependency}"
            assert options["condition"] in DEPENDS_ON_CONDITIONS
            if options["condition"] == "service_healthy":
                assert "healthcheck" in MERGED_SERVICES[dependency], dependency
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in SCALE["volumes"], volume


def test_the_replica_copies_the_primary_with_a_slot_and_runs_as_a_hot_standby():
    replica = SCALE_SERVICES["postgres-replica"]
    assert replica["image"] == SERVICES["postgres"]["image"]
    command = shell_command("postgres-replica")
    assert "pg_basebackup -h postgres -U broadsheet" in command
    for option in ("--create-slot", "--slot=compose_replica", "--write-recovery-conf", "--wal-method=stream"):
        assert option in command
    assert "exec postgres -c hot_standby=on" in command
    assert replica["environment"]["PGPASSWORD"] == SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"]
    data_dir = replica["volumes"][0].split(":")[1]
    assert f"-D {data_dir}" in command


def test_the_primary_lets_the_app_role_stream_wal():
    command = SCALE_SERVICES["postgres"]["command"]
    hba_path = command[command.index("-c") + 1].split("=", 1)[1]
    (hba_config,) = [c for c in SCALE_SERVICES["postgres"]["configs"] if c["target"] == hba_path]
    hba = SCALE["configs"][hba_config["source"]]["content"].splitlines()
    user = SERVICES["postgres"]["environment"]["POSTGRES_USER"]
    assert f"host replication {user} all scram-sha-256" in hba
    assert "host all all all scram-sha-256" in hba


def test_the_app_config_is_the_base_config_plus_the_replica():
    base = json.loads(interpolate(COMPOSE["configs"]["broadsheet_config"]["content"], ENVIRONMENT))
    scaled = scale_config()
    replica_urls = scaled.pop("DATABASE_REPLICA_URLS")
    assert scaled == base

    (replica_url,) = replica_urls
    replica, primary = database_from_url(replica_url), database_from_url(base["DATABASE_URL"])
    assert (replica["HOST"], replica["PORT"]) == ("postgres-replica", "5432")
    assert {key: replica[key] for key in ("NAME", "USER", "PASSWORD")} == {
        key: primary[key] for key in ("NAME", "USER", "PASSWORD")
    }
    settings = read_deploy_config(Config({**scale_config()}, "config.json"))
    assert list(settings["DATABASE_REPLICAS"]) == ["replica_1"]


def test_nginx_fills_every_placeholder_of_the_committed_config_and_balances_web():
    nginx = SCALE_SERVICES["nginx"]
    (template,) = nginx["configs"]
    template_file = PROJECT_ROOT / SCALE["configs"][template["source"]]["file"]
    assert template_file == PROJECT_ROOT / "project" / "deploy" / "nginx.conf"
    placeholders = set(re.findall(r"@[A-Z_]+@", template_file.read_text()))
    command = shell_command("nginx")
    assert placeholders == set(re.findall(r"s/(@[A-Z_]+@)/", command))
    assert f"-e 's/@LISTEN@/0.0.0.0:{nginx['ports'][0].split(':')[1]}/'" in command
    web_command = SERVICES["web"]["command"]
    assert web_command[web_command.index("--bind") + 1] == "0.0.0.0:8000"
    assert "server web:8000" in command
    assert re.search(r"^user www-data;$", template_file.read_text(), re.MULTILINE)
    assert "s/^user www-data;/user nginx;/" in command


def test_only_nginx_publishes_the_site_port_so_web_can_scale():
    assert SCALE_SERVICES["web"]["ports"] == []
    published = [port for service in MERGED_SERVICES.values() for port in service.get("ports", [])]
    assert published.count("8000:80") == 1
    assert not any(port.startswith("8000:") and port != "8000:80" for port in published)
