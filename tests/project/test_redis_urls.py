"""rediss:// URLs of config.json (CACHE_URL, CELERY_BROKER_URL) reach the cache
(django-redis) and the broker (kombu) with the server's certificate and host
name checked, against a real TLS Redis of this test's own (Debian's
redis-server, built with TLS) and certificates made by tests/support/tls.py.

Every option the reader accepts is proven to reach both connections here."""

import subprocess
from urllib.parse import parse_qsl, urlsplit

import pytest
from django_redis.cache import RedisCache

from project.celery import app as celery_app
from project.config import Config, redis_url_from
from project.services.processes import end_process, free_port, wait_until
from project.services.programs import REDIS_BINARY
from tests.support.tls import certificate_authority, issue

pytestmark = pytest.mark.services

# TLS 1.3 sends the server's "certificate required" alert after the handshake,
# so the client sees it, or only the closed connection, depending on timing.
SERVER_REFUSED_THE_HANDSHAKE = r"certificate required|EOF occurred in violation of protocol|Connection reset"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    ours, other = certificate_authority(directory, "ours"), certificate_authority(directory, "other")
    return {
        "ca": ours.certificate,
        "other_ca": other.certificate,
        "server": issue(ours, directory, "server", "IP:127.0.0.1,DNS:localhost"),
        "client": issue(ours, directory, "client", "DNS:broadsheet-app"),
        "directory": directory,
    }


@pytest.fixture(scope="module")
def tls_redis_port(tls):
    """A Redis that speaks only TLS and asks every client for a certificate of our CA."""
    port = free_port()
    command = [REDIS_BINARY, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1", "127.0.0.2"]
    command += ["--tls-cert-file", str(tls["server"].certificate), "--tls-key-file", str(tls["server"].key)]
    command += ["--tls-ca-cert-file", str(tls["ca"]), "--tls-auth-clients", "yes"]
    command += ["--save", "", "--appendonly", "no", "--dir", str(tls["directory"])]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    verified = client_url(tls, port)
    if not wait_until(lambda: answers(cache_at(verified)), timeout=20, interval=0.1):
        end_process(server.pid)
        pytest.fail(f"the TLS Redis did not start on port {port}")
    yield port
    end_process(server.pid)
    server.wait()


def client_url(tls, port, host="127.0.0.1", ca="ca", client_certificate=True):
    url = f"rediss://{host}:{port}/0?ssl_ca_certs={tls[ca]}"
    if client_certificate:
        url += f"&ssl_certfile={tls['client'].certificate}&ssl_keyfile={tls['client'].key}"
    return url


def read(url, key="CACHE_URL"):
    """The URL as the deploy settings get it from config.json."""
    return redis_url_from(Config({key: url}, "config.json"), key)


def cache_at(url):
    # The deploy cache's options, except that errors are raised here instead of ignored.
    return RedisCache(url, {"OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2}})


def answers(cache):
    try:
        return cache.client.get_client(write=True).ping()
    except Exception:  # noqa: BLE001 - any failure means "not yet"
        return False


def broker_ping(url):
    with celery_app.connection_for_write(url) as connection:
        connection.ensure_connection(max_retries=1, timeout=3)
        return connection.default_channel.client.ping()


def test_the_reader_makes_the_certificate_check_explicit(tls):
    url = urlsplit(read(f"rediss://cache.internal:6380/1?ssl_ca_certs={tls['ca']}"))

    assert (url.scheme, url.netloc, url.path) == ("rediss", "cache.internal:6380", "/1")
    assert dict(parse_qsl(url.query)) == {"ssl_cert_reqs": "required", "ssl_ca_certs": str(tls["ca"])}


def test_rediss_reaches_the_cache_and_the_broker_with_the_server_checked(tls, tls_redis_port):
    for key in ("CACHE_URL", "CELERY_BROKER_URL"):
        url = read(client_url(tls, tls_redis_port), key)
        cache = cache_at(url)
        cache.set("tls-probe", key, timeout=10)
        assert cache.get("tls-probe") == key
        assert broker_ping(url) is True


def test_a_server_certificate_from_another_ca_is_refused(tls, tls_redis_port):
    url = read(client_url(tls, tls_redis_port, ca="other_ca"))
    with pytest.raises(Exception, match="certificate verify failed"):
        cache_at(url).client.get_client(write=True).ping()
    with pytest.raises(Exception, match="certificate verify failed"):
        broker_ping(url)


def test_the_server_host_name_is_checked(tls, tls_redis_port):
    """127.0.0.2 reaches the same server, whose certificate names 127.0.0.1 only."""
    url = read(client_url(tls, tls_redis_port, host="127.0.0.2"))
    with pytest.raises(Exception, match=r"IP address mismatch|doesn't match"):
        cache_at(url).client.get_client(write=True).ping()
    with pytest.raises(Exception, match=r"IP address mismatch|doesn't match"):
        broker_ping(url)


def test_the_client_certificate_options_reach_both_connections(tls, tls_redis_port):
    """The server asks for a client certificate: without ssl_certfile and
    ssl_keyfile it refuses the handshake, so their passing above proves they arrive."""
    url = read(client_url(tls, tls_redis_port, client_certificate=False))
    with pytest.raises(Exception, match=SERVER_REFUSED_THE_HANDSHAKE):
        cache_at(url).client.get_client(write=True).ping()
    with pytest.raises(Exception, match=SERVER_REFUSED_THE_HANDSHAKE):
        broker_ping(url)


def test_rediss_without_a_ca_still_verifies_against_the_system_store(tls_redis_port):
    """No ssl_ca_certs is no opt-out: our test CA is not in the system store, so the check fails."""
    url = read(f"rediss://127.0.0.1:{tls_redis_port}/0")
    with pytest.raises(Exception, match="certificate verify failed"):
        cache_at(url).client.get_client(write=True).ping()
    with pytest.raises(Exception, match="certificate verify failed"):
        broker_ping(url)
