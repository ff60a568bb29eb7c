"""Deploy settings read config.json; a bad file stops the process with one line."""

import json

from tests.support.deploy import (
    EXAMPLE_CONFIG,
    filled_in_config,
    run_deployed,
    run_deployed_code,
    write_config,
)

# Every template of templates/ loaded twice and the error page rendered twice,
# with each file the process opens recorded by an audit hook (no patching).
TEMPLATE_READS = """
import json, sys
from pathlib import Path
from django.template.loader import get_template

templates_dir = Path("templates").resolve()
templates = sorted(str(path) for path in templates_dir.rglob("*.html"))
reads = []

def record_template_reads(event, args):
    if event == "open" and str(args[0]) in templates:
        reads.append(str(args[0]))

sys.addaudithook(record_template_reads)
for _ in range(2):
    for path in templates:
        get_template(str(Path(path).relative_to(templates_dir)))
    get_template("500.html").render({})
print(json.dumps([templates, reads]))
"""


def run_manage(config_path, *args):
    return run_deployed(config_path, "manage.py", *args)


def test_deploy_check_is_clean_with_example_values_filled_in(tmp_path):
    config_path = write_config(tmp_path, filled_in_config())
    result = run_manage(config_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_missing_required_key_stops_with_one_line_naming_it(tmp_path):
    config = filled_in_config()
    del config["SECRET_KEY"]
    result = run_manage(write_config(tmp_path, config), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == 'config.json: missing required key "SECRET_KEY"'


def test_wrongly_typed_bool_stops_with_one_line_naming_key_and_type(tmp_path):
    config = filled_in_config() | {"DEBUG": "yes"}
    result = run_manage(write_config(tmp_path, config), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == 'config.json: key "DEBUG" must be true or false, got "yes"'


def test_bool_given_for_int_is_refused(tmp_path):
    config = filled_in_config() | {"SECURE_HSTS_SECONDS": True}
    result = run_manage(write_config(tmp_path, config), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == 'config.json: key "SECURE_HSTS_SECONDS" must be an integer, got true'


def test_invalid_json_names_file_line_and_column(tmp_path):
    result = run_manage(write_config(tmp_path, '{\n  "SECRET_KEY": "abc",\n  "DEBUG": yes\n}'), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == "config.json: invalid JSON at line 3, column 12: Expecting value"


def test_unknown_key_is_refused_as_a_probable_typo(tmp_path):
    config = filled_in_config() | {"SECERT_KEY": "oops"}
    result = run_manage(write_config(tmp_path, config), "check")
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


def test_a_deploy_process_reads_each_template_from_disk_once_however_often_it_renders(tmp_path):
    """The cached template loader: every template compiled once per process, not per request."""
    result = run_deployed_code(write_config(tmp_path, filled_in_config()), TEMPLATE_READS)
    assert result.returncode == 0, result.stderr
    templates, reads = json.loads(result.stdout.strip().splitlines()[-1])

    assert len(templates) > 20
    assert sorted(reads) == sorted(templates), "each template read from disk exactly once"


def deploy_setting(tmp_path, config, expression):
    result = run_manage(
        write_config(tmp_path, config),
        "shell",
        "--no-imports",
        "-c",
        f"from django.conf import settings; print(repr({expression}))",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_placeholder_secret_key_of_the_example_is_refused_with_one_line(tmp_path):
    config = EXAMPLE_CONFIG | {"HEALTHZ_DETAIL_TOKEN": "Vb3nQ8rT1yLx6KwZ0mPc"}
    result = run_manage(write_config(tmp_path, config), "check")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'config.json: key "SECRET_KEY" is the placeholder from config.json.example; generate one with: '
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )


# A request for the home page answered by Django's SecurityMiddleware under the
# deploy settings: (is it secure, status, Location, Strict-Transport-Security).
SECURITY_ANSWER = """
import json, sys
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory

request = RequestFactory(HTTP_HOST="broadsheet.example.com").get("/", **json.loads(sys.argv[1]))
response = SecurityMiddleware(lambda request: HttpResponse("the page"))(request)
print(json.dumps([request.is_secure(), response.status_code, response.get("Location"),
                  response.get("Strict-Transport-Security")]))
"""


def security_answer(tmp_path, config, **request):
    result = run_deployed_code(write_config(tmp_path, config), SECURITY_ANSWER, json.dumps(request))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_client_sending_x_forwarded_proto_itself_is_redirected_to_https(tmp_path):
    """Unless config says a proxy in front sets (and overwrites) the header, a
    plain-HTTP request claiming `X-Forwarded-Proto: https` must not look secure."""
    claimed = {"HTTP_X_FORWARDED_PROTO": "https"}
    assert security_answer(tmp_path, filled_in_config(), **claimed) == [
        False,
        301,
        "https://broadsheet.example.com/",
        None,
    ]
    behind_a_proxy = filled_in_config() | {"PROXY_SETS_X_FORWARDED_PROTO": True}
    assert security_answer(tmp_path, behind_a_proxy, **claimed) == [True, 200, None, "max-age=31536000"]


def test_hsts_binds_subdomains_and_asks_for_preload_only_when_config_says_so(tmp_path):
    """Both commit every subdomain (preload: for months, in browsers' lists) to HTTPS."""
    assert security_answer(tmp_path, filled_in_config(), secure=True)[3] == "max-age=31536000"
    config = filled_in_config() | {"SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True}
    assert security_answer(tmp_path, config, secure=True)[3] == "max-age=31536000; includeSubDomains; preload"


def test_site_url_proxies_and_health_token_reach_the_settings(tmp_path):
    config = filled_in_config() | {"TRUSTED_PROXIES": ["10.0.0.0/8"]}
    expression = "(settings.SITE_URL, settings.TRUSTED_PROXIES, settings.HEALTHZ_DETAIL_TOKEN)"
    expected = "('https://broadsheet.example.com', ['10.0.0.0/8'], 'Vb3nQ8rT1yLx6KwZ0mPc')"
    assert deploy_setting(tmp_path, config, expression) == expected


def test_placeholder_health_report_token_is_refused_with_one_line(tmp_path):
    config = filled_in_config() | {"HEALTHZ_DETAIL_TOKEN": EXAMPLE_CONFIG["HEALTHZ_DETAIL_TOKEN"]}
    result = run_manage(write_config(tmp_path, config), "check")
    assert result.returncode == 1
    assert result.stderr.strip().startswith(
        'config.json: key "HEALTHZ_DETAIL_TOKEN" is the placeholder from config.json.example'
    )


def test_behind_a_proxy_with_no_trusted_proxy_the_process_stops_with_one_line(tmp_path):
    """Every client would have the proxy's address: one login budget for the world."""
    config = filled_in_config() | {"TRUSTED_PROXIES": []}
    result = run_manage(write_config(tmp_path, config), "check")
    assert result.returncode == 1
    assert result.stderr.strip().startswith(
        'config.json: key "TRUSTED_PROXIES" is empty but "BEHIND_PROXY" is true'
    )
    assert len(result.stderr.strip().splitlines()) == 1


def test_trusting_every_address_stops_the_process_with_one_line(tmp_path):
    config = filled_in_config() | {"TRUSTED_PROXIES": ["::/0"]}
    result = run_manage(write_config(tmp_path, config), "check")
    assert result.returncode == 1
    assert result.stderr.strip().startswith(
        'config.json: key "TRUSTED_PROXIES" holds "::/0", which trusts every'
    )
    assert len(result.stderr.strip().splitlines()) == 1
