"""The deploy settings as a deployment runs them: a config.json written for the
test, and Python started in a process of its own with nothing of this one's
environment but PATH, so the test settings and the slot's services cannot leak in."""

import json
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = json.loads((PROJECT_ROOT / "config.json.example").read_text())


def filled_in_config():
    """config.json.example with the placeholders a real deployment replaces."""
    config = dict(EXAMPLE_CONFIG)
    config["SECRET_KEY"] = "x7Gq2v9LmR4tYb8NcW1zKd6PfHs3JuAeXo5QiTnVgBy0MrClEwSa"
    config["HEALTHZ_DETAIL_TOKEN"] = "Vb3nQ8rT1yLx6KwZ0mPc"
    return config


def write_config(directory, config):
    """config.json in `directory`: a dict as JSON, or a string as it is (for broken files)."""
    config_path = directory / "config.json"
    config_path.write_text(config if isinstance(config, str) else json.dumps(config))
    return config_path


def run_python(*arguments, settings_module="project.settings.deploy", env=None, timeout=60):
    """`python *arguments` in the project's folder under `settings_module` (None: the
    entry point's own default): the completed process."""
    settings_env = {"DJANGO_SETTINGS_MODULE": settings_module} if settings_module else {}
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", **settings_env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_deployed(config_path, *arguments, timeout=60):
    """`python *arguments` under the deploy settings reading `config_path`."""
    return run_python(*arguments, env={"BROADSHEET_CONFIG": str(config_path)}, timeout=timeout)


def run_deployed_code(config_path, code, *argv, timeout=60):
    """Python source run after django.setup() under the deploy settings; `argv` lands in sys.argv[1:]."""
    return run_deployed(config_path, "-c", f"import django\ndjango.setup()\n{code}", *argv, timeout=timeout)
