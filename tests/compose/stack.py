"""The compose stack of `make compose-test`: docker-compose.yml with
tests/compose/override.yml (published ports moved to free loopback ports),
fresh secrets, and the commands a developer would type."""

import json
import secrets

from project.services.processes import free_port
from tests.support.compose import COMPOSE_FILE, TEST_OVERRIDE, compose_binary

from .commands import PROJECT_ROOT, run
from .engine import docker_env

PROJECT_NAME = "broadsheet-compose-test"
STAND_IN_OVERRIDE = PROJECT_ROOT / ".services" / "docker" / "stand-in-images.json"
LONG_RUNNING = ["postgres", "redis-broker", "redis-cache", "s3", "web", "worker-high", "worker-low", "beat"]


class Stack:
    """The compose project with fresh secrets and free ports, and the commands to drive it."""

    def __init__(self):
        self.web_port = free_port()
        self.s3_port = free_port()
        self.admin_password = secrets.token_urlsafe(16)
        self.env = {
            **docker_env(),
            "BROADSHEET_SECRET_KEY": secrets.token_urlsafe(50),
            "BROADSHEET_DB_PASSWORD": secrets.token_urlsafe(24),
            "BROADSHEET_S3_ADMIN_SECRET": secrets.token_urlsafe(24),
            "BROADSHEET_S3_APP_SECRET": secrets.token_urlsafe(24),
            "COMPOSE_TEST_WEB_PORT": str(self.web_port),
            "COMPOSE_TEST_S3_PORT": str(self.s3_port),
        }
        self.base = [
            compose_binary(),
            "--project-name",
            PROJECT_NAME,
            "--project-directory",
            str(PROJECT_ROOT),
            "-f",
            str(COMPOSE_FILE),
            "-f",
            str(TEST_OVERRIDE),
        ]

    def compose(self, *args, **kwargs):
        return run([*self.base, *args], env=self.env, **kwargs)

    def model(self):
        return json.loads(self.compose("config", "--format", "json", capture=True).stdout)

    def use_stand_ins(self, substitutes):
        """An override naming each stand-in by its tag where the file pins a digest (JSON is YAML)."""
        services = {
            name: {"image": substitutes[service["image"]]}
            for name, service in self.model()["services"].items()
            if service.get("image") in substitutes
        }
        STAND_IN_OVERRIDE.parent.mkdir(parents=True, exist_ok=True)
        STAND_IN_OVERRIDE.write_text(json.dumps({"services": services}, indent=2))
        self.base += ["-f", str(STAND_IN_OVERRIDE)]

    def container_ids(self):
        ids = {}
        for service in LONG_RUNNING:
            ids[service] = self.compose("ps", "-q", service, capture=True).stdout.split()
        return ids

    def manage(self, *args, input_text=None):
        return self.compose(
            "exec", "-T", "web", "python", "manage.py", *args, capture=True, input_text=input_text
        )

    def url(self, path):
        return f"http://127.0.0.1:{self.web_port}{path}"

    def dump_state(self):
        self.compose("ps", "-a", check=False)
        self.compose("logs", "--no-color", "--tail", "40", check=False)
