"""docker-compose.scale.yml on top of docker-compose.yml, as Compose v2 itself
merges them (`config`, the binary tests/project/test_docker_compose.py vets),
checked against the schema and against the project: the replica, nginx in
front of scalable `web` replicas, and the app's config."""

import json
import re

from project.config import Config, database_from_url, read_deploy_config
from tests.support.compose import (
    COMPOSE_FILE,
    PROJECT_ROOT,
    SCALE_FILE,
    app_config,
    check_against_compose_schema,
    resolved_model,
)

BASE = resolved_model(COMPOSE_FILE)
SERVICES = BASE["services"]
APP_CONFIG = app_config(BASE)
SCALED = resolved_model(COMPOSE_FILE, SCALE_FILE)
SCALED_SERVICES = SCALED["services"]
SCALED_CONFIG = app_config(SCALED)


def shell_command(service):
    return " ".join(SCALED_SERVICES[service]["command"])


def test_the_merged_model_follows_the_compose_specification_schema(tmp_path):
    """The override alone uses Compose's `!reset` tag, which no schema validator
    reads: the model Compose merged from both files is checked instead."""
    merged = tmp_path / "merged.json"
    merged.write_text(json.dumps(SCALED))
    result = check_against_compose_schema(merged)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_replica_copies_the_primary_with_a_slot_and_runs_as_a_hot_standby():
    replica = SCALED_SERVICES["postgres-replica"]
    assert replica["image"] == SERVICES["postgres"]["image"]
    command = shell_command("postgres-replica")
    assert "pg_basebackup -h postgres -U broadsheet" in command
    for option in ("--create-slot", "--slot=compose_replica", "--write-recovery-conf", "--wal-method=stream"):
        assert option in command
    assert "exec postgres -c hot_standby=on" in command
    assert replica["environment"]["PGPASSWORD"] == SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_primary_lets_the_app_role_stream_wal():
    hba = SCALED["configs"]["postgres_hba"]["content"].splitlines()
    assert "host replication broadsheet all scram-sha-256" in hba
    assert "hba_file=/etc/broadsheet/pg_hba.conf" in SCALED_SERVICES["postgres"]["command"]


def test_the_app_config_is_the_base_config_plus_the_replica():
    scaled = dict(SCALED_CONFIG)
    replica_urls = scaled.pop("DATABASE_REPLICA_URLS")
    assert scaled == APP_CONFIG

    (replica_url,) = replica_urls
    replica, primary = database_from_url(replica_url), database_from_url(APP_CONFIG["DATABASE_URL"])
    assert (replica["HOST"], replica["PORT"]) == ("postgres-replica", "5432")
    assert {key: replica[key] for key in ("NAME", "USER", "PASSWORD")} == {
        key: primary[key] for key in ("NAME", "USER", "PASSWORD")
    }
    settings = read_deploy_config(Config(dict(SCALED_CONFIG), "config.json"))
    assert list(settings["DATABASE_REPLICAS"]) == ["replica_1"]


def test_nginx_fills_every_placeholder_of_the_committed_config_and_balances_web():
    template_file = PROJECT_ROOT / "project" / "deploy" / "nginx.conf"
    placeholders = set(re.findall(r"@[A-Z_]+@", template_file.read_text()))
    command = shell_command("nginx")
    assert placeholders == set(re.findall(r"s/(@[A-Z_]+@)/", command))
    assert "server web:8000" in command
    web_command = SERVICES["web"]["command"]
    assert web_command[web_command.index("--bind") + 1] == "0.0.0.0:8000"


def test_only_nginx_publishes_the_site_port_on_loopback_so_web_can_scale():
    assert not SCALED_SERVICES["web"].get("ports")
    (published,) = SCALED_SERVICES["nginx"]["ports"]
    assert (published["host_ip"], published["published"], published["target"]) == ("127.0.0.1", "8000", 80)


def test_the_scaled_shape_pins_its_images_by_version_and_digest_too():
    for name in ("postgres-replica", "nginx"):
        image = SCALED_SERVICES[name]["image"]
        assert re.fullmatch(r"[a-z]+:\d+(\.\d+)+-\w+@sha256:[0-9a-f]{64}", image), f"{name}: {image}"
