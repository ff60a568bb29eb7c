"""local.py.example, what `make` copies to local.py on a developer's machine,
run as a developer runs it: in a process of its own, from the project's folder,
so the test settings of this process cannot stand in for it."""

import re

import pytest

from tests.support.deploy import filled_in_config, run_deployed_code, run_python, write_config

LOCAL_EXAMPLE_MODULE = "project.settings.local_example"
# The .example suffix hides the file from imports: load it as the module it becomes.
AS_LOCAL_SETTINGS = f"""
import importlib.machinery, importlib.util, sys
loader = importlib.machinery.SourceFileLoader({LOCAL_EXAMPLE_MODULE!r}, "project/settings/local.py.example")
module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
sys.modules[loader.name] = module
loader.exec_module(module)
import django
django.setup()
"""
DIFFSETTINGS = "from django.core.management import call_command\ncall_command('diffsettings')"
# The chapter's toolbar: page time, SQL count with time and origin of each
# query, templates, and cache hits and misses (ours per fragment, too).
CHAPTER_PANELS = {"TimerPanel", "SQLPanel", "TemplatesPanel", "CachePanel", "FragmentCachePanel"}


def run_local_example(code, env=None):
    completed = run_python("-c", AS_LOCAL_SETTINGS + code, settings_module=LOCAL_EXAMPLE_MODULE, env=env)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def diffsettings(output):
    """{setting: its repr} from `diffsettings` output (`NAME = value`, `  ###` when not Django's default)."""
    return {
        match["name"]: match["value"]
        for match in re.finditer(
            r"^(?P<name>[A-Z][A-Z0-9_]*) = (?P<value>.*?)(?:  ###)?$", output, re.MULTILINE
        )
    }


def test_local_settings_cache_in_redis_on_postgres_unless_broadsheet_cache_is_off():
    """Caching works locally exactly as in production; BROADSHEET_CACHE=off is the
    switch for comparing cold and warm pages in the toolbar."""
    cached = diffsettings(run_local_example(DIFFSETTINGS))
    switched_off = diffsettings(run_local_example(DIFFSETTINGS, env={"BROADSHEET_CACHE": "off"}))

    assert cached["CACHE_ENABLED"] == "True"
    assert switched_off["CACHE_ENABLED"] == "False"
    for settings in (cached, switched_off):
        assert "'BACKEND': 'django_redis.cache.RedisCache'" in settings["CACHES"]
        assert "'ENGINE': 'django.db.backends.postgresql'" in settings["DATABASES"]


def test_a_local_page_shows_the_debug_toolbar_with_the_chapters_panels_turned_on():
    page = run_local_example(
        "from django.test import Client\n"
        "response = Client(HTTP_HOST='127.0.0.1').get('/admin/login/')\n"
        "print(response.status_code)\n"
        "print(response.content.decode())",
        env={"BROADSHEET_CACHE": "off"},  # nothing of the machine's own Redis is read
    )
    status, html = page.split("\n", 1)
    # The toolbar ticks the box of each panel that records this request.
    turned_on = set(re.findall(r'data-cookie="djdt(\w+Panel)" checked', html))

    assert status == "200"
    assert 'id="djDebug"' in html
    assert turned_on >= CHAPTER_PANELS


def test_a_deploy_process_never_loads_the_debug_toolbar(tmp_path):
    serving = run_deployed_code(
        write_config(tmp_path, filled_in_config()),
        "import sys\n"
        "from project.wsgi import application\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "print(sorted(name for name in sys.modules if name.startswith('debug_toolbar')))",
    )
    assert serving.returncode == 0, serving.stderr
    assert serving.stdout.strip().splitlines()[-1] == "[]"


ENTRY_POINTS = {
    "manage.py": ("manage.py", "diffsettings"),
    "project/wsgi.py": ("-c", f"import project.wsgi\n{DIFFSETTINGS}"),
    "project/celery.py": ("-c", f"import project.celery, django\ndjango.setup()\n{DIFFSETTINGS}"),
}


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_each_entry_point_defaults_to_local_settings_and_never_overrides_the_environment(entry_point):
    by_default = run_python(*ENTRY_POINTS[entry_point], settings_module=None)
    chosen = run_python(*ENTRY_POINTS[entry_point], settings_module="project.settings.test")

    assert by_default.returncode == chosen.returncode == 0, by_default.stderr + chosen.stderr
    assert diffsettings(by_default.stdout)["SETTINGS_MODULE"] == "'project.settings.local'"
    assert diffsettings(chosen.stdout)["SETTINGS_MODULE"] == "'project.settings.test'"
