"""A web process loads only what serving pages needs: the object store's client
(boto3, about 12 MB), the Markdown renderer and Celery with kombu (about 8 MB)
load in the processes that upload, write or queue, when they first do (worker
RSS: docs/performance.md, scale)."""

from tests.support.deploy import filled_in_config, run_deployed, write_config

LOADED_ONLY_WHEN_NEEDED = ["boto3", "storages.backends.s3", "markdown", "nh3", "celery.app.base", "kombu"]
WEB_PROCESS = """
import sys
from project.wsgi import application
from django.urls import get_resolver
get_resolver().url_patterns
print(sorted(name for name in {names} if name in sys.modules))
"""


def test_a_web_process_loads_neither_the_s3_client_nor_markdown_nor_celery(tmp_path):
    config_path = write_config(tmp_path, filled_in_config())
    result = run_deployed(config_path, "-c", WEB_PROCESS.format(names=LOADED_ONLY_WHEN_NEEDED))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
