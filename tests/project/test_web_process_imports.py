"""A web process loads only what serving pages needs: the object store's client
(boto3, about 12 MB), the Markdown renderer and Celery with kombu (about 8 MB)
load in the processes that upload, write or queue, when they first do (worker
RSS: docs/performance.md, scale)."""

import json
import subprocess
import sys

from tests.project.test_deploy_settings import PROJECT_ROOT, filled_in_config

LOADED_ONLY_WHEN_NEEDED = ["boto3", "storages.backends.s3", "markdown", "nh3", "celery.app.base", "kombu"]
WEB_PROCESS = """
import sys
from project.wsgi import application
from django.urls import get_resolver
get_resolver().url_patterns
print(sorted(name for name in {names} if name in sys.modules))
"""


def test_a_web_process_loads_neither_the_s3_client_nor_markdown_nor_celery(tmp_path):
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(filled_in_config()))
    result = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS.format(names=LOADED_ONLY_WHEN_NEEDED)],
        cwd=PROJECT_ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(PROJECT_ROOT),
            "BROADSHEET_CONFIG": str(config_path),
            "DJANGO_SETTINGS_MODULE": "project.settings.deploy",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
