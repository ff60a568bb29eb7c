"""Each libpq option of a DATABASE_URL reaches the connection: read by
project.config.database_from_url (dj-database-url), opened by Django's
PostgreSQL backend, and checked on the live connection, against the test
database and against a TLS PostgreSQL of this test's own (the certificate
checks of sslmode=verify-full and sslrootcert, as a managed database needs)."""

import shutil
import uuid

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler, OperationalError

from project.config import database_from_url
from project.services.constants import SERVICES_DIR
from project.services.postgres import PostgreSQL, pg_binary
from project.services.processes import free_port, run, running_as_root
from tests.support.servers import stop_if_running
from tests.support.tls import certificate_authority, issue

pytestmark = pytest.mark.django_db


def url_of(settings_dict, query=""):
    user, password = settings_dict["USER"], settings_dict["PASSWORD"]
    host, port, name = settings_dict["HOST"], settings_dict["PORT"], settings_dict["NAME"]
    return f"postgres://{user}:{password}@{host}:{port}/{name}" + (f"?{query}" if query else "")


def connect(url):
    """A fresh connection through Django's backend, from the URL alone."""
    probe = ConnectionHandler({"default": database_from_url(url)})["default"]
    probe.ensure_connection()
    return probe


def show(probe, setting):
    with probe.cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("query", "parameter", "expected"),
    [
        ("connect_timeout=3", "connect_timeout", "3"),
        ("application_name=broadsheet-probe", "application_name", "broadsheet-probe"),
        ("options=-c%20statement_timeout%3D1234", "options", "-c statement_timeout=1234"),
        ("keepalives=1&keepalives_idle=17", "keepalives_idle", "17"),
        ("target_session_attrs=read-write", "target_session_attrs", "read-write"),
        ("sslmode=disable", "sslmode", "disable"),
    ],
)
def test_each_option_of_the_url_reaches_the_connection(query, parameter, expected):
    probe = connect(url_of(connection.settings_dict, query))
    try:
        assert probe.connection.get_dsn_parameters()[parameter] == expected
    finally:
        probe.close()


def test_server_side_options_take_effect_on_the_session():
    query = "application_name=broadsheet-probe&options=-c%20statement_timeout%3D1234"
    probe = connect(url_of(connection.settings_dict, query))
    try:
        assert show(probe, "application_name") == "broadsheet-probe"
        assert show(probe, "statement_timeout") == "1234ms"
    finally:
        probe.close()


def test_sslmode_require_is_not_silently_dropped():
    """The test server speaks no TLS: a kept sslmode=require refuses it (libpq's
    default, prefer, would have connected in plain text)."""
    with pytest.raises(OperationalError, match="server does not support SSL, but SSL was required"):
        connect(url_of(connection.settings_dict, "sslmode=require"))


@pytest.fixture(scope="module")
def tls_postgres(tmp_path_factory):
    """A throwaway PostgreSQL with ssl=on and a certificate for 127.0.0.1 signed by our CA."""
    certificates = tmp_path_factory.mktemp("pg-tls")
    ours, other = certificate_authority(certificates, "ours"), certificate_authority(certificates, "other")
    server_certificate = issue(ours, certificates, "server", "IP:127.0.0.1,DNS:localhost")
    # Under .services: as root the cluster runs as the postgres user, who cannot enter pytest's tmp_path.
    directory = SERVICES_DIR / f"test-tls-{uuid.uuid4().hex[:8]}"
    server = PostgreSQL("throwaway-tls-postgres", free_port(), directory)
    server.start()
    data_dir = server.home() / "data"
    for source, target in (
        (server_certificate.certificate, "server.crt"),
        (server_certificate.key, "server.key"),
    ):
        shutil.copy(source, data_dir / target)
        (data_dir / target).chmod(0o600)
        if running_as_root():
            shutil.chown(data_dir / target, "postgres", "postgres")
    psql = [pg_binary("psql"), "-X", "-qtA", "-v", "ON_ERROR_STOP=1", server.url]
    run([*psql, "-c", "ALTER SYSTEM SET ssl = on", "-c", "SELECT pg_reload_conf()"])
    yield server, ours.certificate, other.certificate
    stop_if_running(server)
    for data in server.data_dirs():
        shutil.rmtree(data, ignore_errors=True)


def test_verify_full_with_the_servers_ca_connects_over_tls(tls_postgres):
    server, ca, _ = tls_postgres
    probe = connect(f"{server.url}?sslmode=verify-full&sslrootcert={ca}")
    try:
        parameters = probe.connection.get_dsn_parameters()
        assert (parameters["sslmode"], parameters["sslrootcert"]) == ("verify-full", str(ca))
        with probe.cursor() as cursor:
            cursor.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            assert cursor.fetchone() == (True,)
    finally:
        probe.close()


def test_verify_full_refuses_a_server_certificate_from_another_ca(tls_postgres):
    server, _, other_ca = tls_postgres
    with pytest.raises(OperationalError, match="certificate verify failed"):
        connect(f"{server.url}?sslmode=verify-full&sslrootcert={other_ca}")
