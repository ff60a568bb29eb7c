"""docker-compose.yml, checked without a Docker engine (CI has none).

No vetted offline validator of the Compose specification is installable here
(the `docker compose` plugin is absent and the spec's JSON schema ships in no
registry package), so these tests check what the specification would, and
what it would not: that every command, port and key agrees with the project.
"""

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from project.config import Config, read_deploy_config

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
EXAMPLE_KEYS = set(json.loads((PROJECT_ROOT / "config.json.example").read_text()))
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
SERVICE_PORTS = {"postgres": 5432, "redis-broker": 6379, "redis-cache": 6379, "s3": 9000}


def interpolate(text, environment):
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} substitution."""

    def substitute(match):
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        if environment.get(name):
            return environment[name]
        if operator == ":?":
            raise KeyError(f"{name}: {argument}")
        return argument or ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", substitute, text)


def compose_config(environment):
    return json.loads(interpolate(COMPOSE["configs"]["broadsheet_config"]["content"], environment))


def test_every_service_has_an_image_and_known_top_level_keys():
    assert set(COMPOSE) <= {"x-app", "services", "configs", "volumes", "networks", "secrets", "name"}
    for name, service in SERVICES.items():
        assert "image" in service or "build" in service, name


def test_depends_on_names_real_services_with_valid_conditions():
    for name, service in SERVICES.items():
        for dependency, options in service.get("depends_on", {}).items():
            assert dependency in SERVICES, f"{name} depends on unknown {dependency}"
            assert options["condition"] in DEPENDS_ON_CONDITIONS
            if options["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[dependency], f"{dependency} has no healthcheck"


def test_long_running_services_have_healthchecks():
    for name in ["postgres", "redis-broker", "redis-cache", "s3", "web"]:
        assert SERVICES[name]["healthcheck"]["test"][0] == "CMD"


def test_config_is_valid_for_the_deploy_settings():
    config = compose_config({"BROADSHEET_SECRET_KEY": "a-real-secret-from-the-environment"})
    settings = read_deploy_config(Config(config, "config.json"))
    assert settings["SECRET_KEY"] == "a-real-secret-from-the-environment"
    assert set(config) <= EXAMPLE_KEYS


def test_config_refuses_to_start_without_a_secret_key():
    with pytest.raises(KeyError, match="BROADSHEET_SECRET_KEY"):
        compose_config({})


def test_config_urls_point_at_compose_services_and_their_ports():
    config = compose_config({"BROADSHEET_SECRET_KEY": "x"})
    for key in ["DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "AWS_S3_ENDPOINT_URL"]:
        host, port = re.search(r"@?([\w-]+):(\d+)(/|$)", config[key].split("//", 1)[1]).group(1, 2)
        assert host in SERVICES, f"{key} names {host}"
        assert int(port) == SERVICE_PORTS[host], f"{key} uses port {port} of {host}"


def test_cache_evicts_and_broker_never_does():
    assert "allkeys-lru" in SERVICES["redis-cache"]["command"]
    assert "noeviction" in SERVICES["redis-broker"]["command"]


def test_every_app_command_exists_in_the_project():
    requirements = (PROJECT_ROOT / "requirements" / "deploy.txt").read_text() + (
        PROJECT_ROOT / "requirements" / "base.txt"
    ).read_text()
    for name in ["migrate", "web", "worker-high", "worker-low", "beat"]:
        command = SERVICES[name]["command"]
        program = command[0]
        if program == "python":
            assert (PROJECT_ROOT / command[1]).is_file()
        else:
            assert re.search(rf"^{program}(\[\w+\])?==", requirements, re.MULTILINE), program
        if program == "gunicorn":
            assert (PROJECT_ROOT / (command[1].replace(".", "/") + ".py")).is_file()
        if program == "celery":
            assert (PROJECT_ROOT / command[command.index("-A") + 1] / "celery.py").is_file()


def test_workers_cover_both_queues_and_beat_runs_once():
    queues = {
        SERVICES[name]["command"][SERVICES[name]["command"].index("-Q") + 1]
        for name in SERVICES
        if "worker" in name
    }
    assert queues == {"high", "low"}
    assert sum("beat" in service.get("command", []) for service in SERVICES.values()) == 1


def test_object_store_image_is_pinned_to_an_exact_release():
    assert re.fullmatch(r"minio/minio:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", SERVICES["s3"]["image"])
    for name in ["postgres", "redis-broker", "redis-cache"]:
        assert re.search(r":\d+\.\d+", SERVICES[name]["image"]), f"{name} image is not pinned"


def test_dockerfile_runs_as_a_non_root_user_without_gunicorns_home_socket():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    user_lines = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user_lines
    assert user_lines[-1].split()[1] not in {"root", "0"}
    cmd = json.loads(dockerfile.split("\nCMD ", 1)[1].splitlines()[0])
    assert cmd[0] == "gunicorn"
    assert "--no-control-socket" in cmd
    assert shlex.join(SERVICES["web"]["command"]) == shlex.join(cmd)
