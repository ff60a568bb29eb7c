"""Minimizing CSS and JavaScript: the pipeline bundles are concatenated,
minified and given hashed names at collectstatic under the deploy settings."""

import json

from project.static_files import MinifyCompressor
from tests.support.deploy import PROJECT_ROOT, filled_in_config, run_deployed_code, write_config


def test_minifier_shrinks_the_site_stylesheet_and_keeps_its_rules():
    css = (PROJECT_ROOT / "static" / "css" / "site.css").read_text()
    minified = MinifyCompressor(verbose=False).compress_css(css)
    assert len(minified) < len(css) * 0.85
    assert ".teaser-list{" in minified
    assert "/*" not in minified


def test_minifier_keeps_the_beacon_script_working_code():
    js = (PROJECT_ROOT / "static" / "js" / "site.js").read_text()
    minified = MinifyCompressor(verbose=False).compress_js(js)
    assert len(minified) < len(js)
    assert "navigator.sendBeacon(element.dataset.readBeacon)" in minified
    assert "//" not in minified


def test_collectstatic_under_deploy_settings_writes_hashed_minified_bundles(tmp_path):
    script = (
        "import sys\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "settings.STATIC_ROOT = sys.argv[1]\n"
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    config_path = write_config(tmp_path, filled_in_config())
    result = run_deployed_code(config_path, script, str(tmp_path / "static"), timeout=120)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    bundle = tmp_path / "static" / manifest["css/site.min.css"]
    assert bundle.name != "site.min.css"
    assert "/*" not in bundle.read_text()
    assert (tmp_path / "static" / (manifest["css/site.min.css"] + ".gz")).exists()
