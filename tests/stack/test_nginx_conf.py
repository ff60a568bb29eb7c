"""project/deploy/nginx.conf run by the real nginx in front of two small
upstreams: one that drops every request unanswered (an app server dying
mid-request), one that answers. Idempotent requests move on to the other
server, a POST an app server may have acted on is never sent twice (except
the read beacon), and the client's address reaches the app."""

import subprocess
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

import pytest

from project.services.processes import free_port, port_is_open, running_as_root, wait_until
from project.services.programs import NGINX_BINARY
from project.services.stack import nginx_config


class Upstream(ThreadingHTTPServer):
    def __init__(self, answers):
        self.answers = answers
        self.seen = []
        super().__init__(("127.0.0.1", free_port()), UpstreamHandler)


class UpstreamHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_request(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        if not self.server.answers:
            # Gone without a word, as a SIGKILLed worker is.
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = handle_request

    def log_message(self, *args):
        pass


class Balancer(NamedTuple):
    url: str
    dying: Upstream
    healthy: Upstream


@pytest.fixture
def balancer(tmp_path):
    dying, healthy = Upstream(answers=False), Upstream(answers=True)
    for upstream in (dying, healthy):
        threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    # max_fails=0: the dying server stays in the rotation, so every other request meets it.
    servers = [f"server 127.0.0.1:{upstream.server_address[1]} max_fails=0;" for upstream in (dying, healthy)]
    (tmp_path / "logs").mkdir()
    (tmp_path / "temp").mkdir()
    config_file = tmp_path / "nginx.conf"
    config = nginx_config(f"127.0.0.1:{port}", servers)
    if running_as_root():
        # The workers must reach this test's private temporary directory.
        config = config.replace("user www-data;", "user root;")
    config_file.write_text(config)
    nginx = subprocess.Popen(
        [NGINX_BINARY, "-p", f"{tmp_path}/", "-c", str(config_file), "-e", "logs/error.log"],
        stderr=subprocess.PIPE,
    )
    assert wait_until(lambda: port_is_open(port), timeout=10), "nginx did not start"
    yield Balancer(f"http://127.0.0.1:{port}", dying, healthy)
    nginx.terminate()
    nginx.wait(timeout=10)
    for upstream in (dying, healthy):
        upstream.shutdown()
        upstream.server_close()


def send(url, method):
    body = b"title=x" if method == "POST" else None
    request = urllib.request.Request(url, method=method, data=body)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_get_moves_on_to_the_other_server_when_one_dies_mid_request(balancer):
    statuses = [send(f"{balancer.url}/posts/harbour/", "GET") for _ in range(4)]

    assert statuses == [200, 200, 200, 200]
    assert len(balancer.dying.seen) >= 1, "nginx tried the dying server"


def test_post_an_app_server_received_is_never_sent_to_another(balancer):
    statuses = [send(f"{balancer.url}/admin/blog/post/add/", "POST") for _ in range(4)]

    posts_received = len(balancer.dying.seen) + len(balancer.healthy.seen)
    assert posts_received == 4, "each save reached exactly one app server"
    assert statuses.count(502) == len(balancer.dying.seen) >= 1
    assert statuses.count(200) == len(balancer.healthy.seen)


def test_read_beacon_post_is_retried_on_the_other_server(balancer):
    statuses = [send(f"{balancer.url}/posts/42/read/", "POST") for _ in range(4)]

    assert statuses == [200, 200, 200, 200]
    assert len(balancer.dying.seen) >= 1


def test_client_address_and_scheme_are_passed_to_the_app(balancer):
    send(f"{balancer.url}/", "GET")
    send(f"{balancer.url}/", "GET")

    headers = balancer.healthy.seen[0][2]
    assert headers["X-Real-IP"] == "127.0.0.1"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"


def test_a_readers_purge_is_refused_before_it_reaches_the_edge(balancer):
    """Varnish sees nginx's loopback address, which its purge ACL trusts: nginx must stop PURGE."""
    assert send(f"{balancer.url}/", "PURGE") == 405
    assert balancer.dying.seen == balancer.healthy.seen == []
