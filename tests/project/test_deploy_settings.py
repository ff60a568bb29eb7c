"""Deploy settings read config.json; a bad file stops the process with one line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = json.loads((PROJECT_ROOT / "config.json.example").read_text())


def filled_in_config():
    """config.json.example with the placeholders a real deployment replaces."""
    config = dict(EXAMPLE_CONFIG)
    config["SECRET_KEY"] = "x7Gq2v9LmR4tYb8NcW1zKd6PfHs3JuAeXo5QiTnVgBy0MrClEwSa"
    config["HEALTHZ_DETAIL_TOKEN"] = "Vb3nQ8rT1yLx6KwZ0mPc"
    return config


def run_manage(config_path, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--settings=project.settings.deploy"],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "BROADSHEET_CONFIG": str(config_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def write_config(tmp_path, text):
    config_path = tmp_path / "config.json"
    config_path.write_text(text)
    return config_path


def test_deploy_check_is_clean_with_example_values_filled_in(tmp_path):
    config_path = write_config(tmp_path, json.dumps(filled_in_config()))
    result = run_manage(config_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_missing_required_key_stops_with_one_line_naming_it(tmp_path):
    config = filled_in_config()
    del config["SECRET_KEY"]
    result = run_manage(write_config(tmp_path, json.dumps(config)), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == 'config.json: missing required key "SECRET_KEY"'


def test_wrongly_typed_bool_stops_with_one_line_naming_key_and_type(tmp_path):
    config = filled_in_config() | {"DEBUG": "yes"}
    result = run_manage(write_config(tmp_path, json.dumps(config)), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == 'config.json: key "DEBUG" must be true or false, got "yes"'


def test_bool_given_for_int_is_refused(tmp_path):
    config = filled_in_config() | {"SECURE_HSTS_SECONDS": True}
    result = run_manage(write_config(tmp_path, json.dumps(config)), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == 'config.json: key "SECURE_HSTS_SECONDS" must be an integer, got true'


def test_invalid_json_names_file_line_and_column(tmp_path):
    result = run_manage(write_config(tmp_path, '{\n  "SECRET_KEY": "abc",\n  "DEBUG": yes\n}'), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == "config.json: invalid JSON at line 3, column 12: Expecting value"


def test_unknown_key_is_refused_as_a_probable_typo(tmp_path):
    config = filled_in_config() | {"SECERT_KEY": "oops"}
    result = run_manage(write_config(tmp_path, json.dumps(config)), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == 'config.json: unknown key "SECERT_KEY" (a typo?)'


def test_unknown_database_url_option_stops_with_one_line_naming_it(tmp_path):
    config = filled_in_config()
    config["DATABASE_URL"] += "?sslmod=verify-full"
    result = run_manage(write_config(tmp_path, json.dumps(config)), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'config.json: key "DATABASE_URL": unknown option "sslmod" (not a libpq connection parameter)'
    )


def test_rediss_broker_url_that_skips_certificate_checks_stops_with_one_line(tmp_path):
    config = filled_in_config() | {"CELERY_BROKER_URL": "rediss://broker:6380/0?ssl_cert_reqs=none"}
    result = run_manage(write_config(tmp_path, json.dumps(config)), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'config.json: key "CELERY_BROKER_URL": option "ssl_cert_reqs=none" would turn certificate '
        "checks off; rediss:// always verifies the server"
    )


def test_missing_file_says_where_it_looked(tmp_path):
    result = run_manage(tmp_path / "absent.json", "check")
    assert result.returncode == 1
    assert "absent.json: file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_deploy_wraps_template_loaders_in_the_cached_loader(tmp_path):
    config_path = write_config(tmp_path, json.dumps(filled_in_config()))
    result = run_manage(
        config_path,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.TEMPLATES[0]['OPTIONS']['loaders'][0][0])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.template.loaders.cached.Loader"


@pytest.mark.parametrize("entry_point", ["manage.py", "project/wsgi.py", "project/celery.py"])
def test_entry_points_default_to_local_settings_without_overriding(entry_point):
    source = (PROJECT_ROOT / entry_point).read_text()
    assert 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.local")' in source


def deploy_setting(tmp_path, config, expression):
    result = run_manage(
        write_config(tmp_path, json.dumps(config)),
        "shell",
        "--no-imports",
        "-c",
        f"from django.conf import settings; print(repr({expression}))",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_placeholder_secret_key_of_the_example_is_refused_with_one_line(tmp_path):
    config = EXAMPLE_CONFIG | {"HEALTHZ_DETAIL_TOKEN": "Vb3nQ8rT1yLx6KwZ0mPc"}
    result = run_manage(write_config(tmp_path, json.dumps(config)), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'config.json: key "SECRET_KEY" is the placeholder from config.json.example; generate one with: '
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )


def test_x_forwarded_proto_is_not_trusted_unless_config_says_a_proxy_sets_it(tmp_path):
    """A client that sends `X-Forwarded-Proto: https` itself must not look secure."""
    expression = "settings.SECURE_PROXY_SSL_HEADER"
    assert deploy_setting(tmp_path, filled_in_config(), expression) == "None"
    config = filled_in_config() | {"PROXY_SETS_X_FORWARDED_PROTO": True}
    assert deploy_setting(tmp_path, config, expression) == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_hsts_preload_and_subdomains_are_off_unless_config_turns_them_on(tmp_path):
    """Both commit every subdomain (preload: for months, in browsers' lists) to HTTPS."""
    expression = "(settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD)"
    assert deploy_setting(tmp_path, filled_in_config(), expression) == "(False, False)"
    config = filled_in_config() | {"SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True}
    assert deploy_setting(tmp_path, config, expression) == "(True, True)"


def test_site_url_proxies_and_health_token_reach_the_settings(tmp_path):
    config = filled_in_config() | {"TRUSTED_PROXIES": ["10.0.0.0/8"]}
    expression = "(settings.SITE_URL, settings.TRUSTED_PROXIES, settings.HEALTHZ_DETAIL_TOKEN)"
    expected = "('https://broadsheet.example.com', ['10.0.0.0/8'], 'Vb3nQ8rT1yLx6KwZ0mPc')"
    assert deploy_setting(tmp_path, config, expression) == expected


def test_placeholder_health_report_token_is_refused_with_one_line(tmp_path):
    config = filled_in_config() | {"HEALTHZ_DETAIL_TOKEN": EXAMPLE_CONFIG["HEALTHZ_DETAIL_TOKEN"]}
    result = run_manage(write_config(tmp_path, json.dumps(config)), "check")
    assert result.returncode == 1
    assert result.stderr.strip().startswith(
        'config.json: key "HEALTHZ_DETAIL_TOKEN" is the placeholder from config.json.example'
    )
