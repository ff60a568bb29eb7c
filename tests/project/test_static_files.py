"""Minimizing CSS and JavaScript: the pipeline bundles are concatenated,
minified and given hashed names at collectstatic under the deploy settings."""

import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from project.static_files import MinifyCompressor

PROJECT_ROOT = Path(settings.BASE_DIR)


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
    config = json.loads((PROJECT_ROOT / "config.json.example").read_text())
    # collectstatic reads no secret, but deploy settings refuse the example's placeholders.
    config["SECRET_KEY"] = "collectstatic-signs-nothing"
    del config["HEALTHZ_DETAIL_TOKEN"]
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    script = (
        "from django.conf import settings; settings.STATIC_ROOT = sys.argv[1]; "
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import sys, django; django.setup(); {script}", str(tmp_path / "static")],
        cwd=PROJECT_ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "project.settings.deploy",
            "BROADSHEET_CONFIG": str(config_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    bundle = tmp_path / "static" / manifest["css/site.min.css"]
    assert bundle.name != "site.min.css"
    assert "/*" not in bundle.read_text()
    assert (tmp_path / "static" / (manifest["css/site.min.css"] + ".gz")).exists()
