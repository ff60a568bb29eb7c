"""project/deploy/nginx.conf run by the real nginx in front of two small
upstreams: one that drops every request unanswered (an app server dying
mid-request), one that answers. Idempotent requests move on to the other
server, a POST an app server may have acted on is never sent twice (except
the read beacon), and the client's address reaches the app.

Then in front of a live Django server trusting nginx's loopback address, as
`make stack` configures it: two clients (sockets bound to 127.0.0.2 and
127.0.0.3, both loopback on Linux) get budgets of their own, and one client's
wrong passwords never lock out an editor at the other."""

import html
import http.client
import re
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import NamedTuple
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User

from apps.blog.search import SEARCH_RATE_LIMIT
from apps.security import ratelimit
from project.services.processes import free_port
from tests.support.nginx import nginx_in_front_of


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
    # max_fails=0: the dying server stays in the rotation, so every other request meets it.
    servers = [f"server 127.0.0.1:{upstream.server_address[1]} max_fails=0;" for upstream in (dying, healthy)]
    with nginx_in_front_of(tmp_path, servers) as url:
        yield Balancer(url, dying, healthy)
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


@pytest.fixture
def nginx_before_django(tmp_path, live_server, settings):
    """nginx in front of a live Django server that trusts nginx's address, as the stack's config.json does."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    live_port = live_server.url.rsplit(":", 1)[1]
    with nginx_in_front_of(tmp_path, [f"server 127.0.0.1:{live_port};"]) as url:
        yield int(url.rsplit(":", 1)[1])


class LoopbackClient:
    """A browser at one loopback address: its socket is bound there, so nginx
    sees it as the reader's address; it keeps its cookies."""

    def __init__(self, port, address):
        self.port, self.address, self.cookies = port, address, {}

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(self.address, 0)
        )
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response, text

    def log_in(self, username, password):
        """True when the admin let this user in; the form's message otherwise."""
        _response, login_page = self.request("GET", "/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"}
        response, text = self.request("POST", "/admin/login/", form)
        if response.status == 302 and response.getheader("Location") == "/admin/":
            return True
        return html.unescape(text)


@pytest.mark.django_db(transaction=True)
def test_twenty_wrong_passwords_from_one_client_never_lock_out_an_editor_at_another(
    nginx_before_django, settings
):
    User.objects.create_user("editor", password="right-password", is_staff=True)
    attacker = LoopbackClient(nginx_before_django, "127.0.0.2")
    editor = LoopbackClient(nginx_before_django, "127.0.0.3")

    sprayed = [
        attacker.log_in(f"guess{number}", "wrong") for number in range(settings.LOGIN_FAILURES_PER_ADDRESS)
    ]

    assert all("Please enter the correct username and password" in answer for answer in sprayed)
    assert "Too many failed logins" in attacker.log_in("editor", "right-password")
    assert editor.log_in("editor", "right-password") is True


@pytest.fixture
def frozen_rate_limit_clock(monkeypatch):
    """30 seconds into a rate-limit window, for the whole test: no window ends mid-flood."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 60 * 28_333_333 + 30.0))


def search_statuses(client, first, count):
    """Searches no one asked before (a stored page would be served before the limit)."""
    return [
        client.request("GET", f"/search/?q=harbour{number}")[0].status
        for number in range(first, first + count)
    ]


@pytest.mark.django_db(transaction=True)
def test_two_clients_behind_nginx_get_separate_search_budgets(nginx_before_django, frozen_rate_limit_clock):
    flooding = LoopbackClient(nginx_before_django, "127.0.0.2")
    reading = LoopbackClient(nginx_before_django, "127.0.0.3")

    assert search_statuses(flooding, 0, SEARCH_RATE_LIMIT) == [200] * SEARCH_RATE_LIMIT
    assert search_statuses(flooding, SEARCH_RATE_LIMIT, 3) == [429] * 3
    assert search_statuses(reading, 100, 3) == [200] * 3


@pytest.mark.django_db(transaction=True)
def test_untrusted_nginx_makes_every_client_share_one_budget(
    nginx_before_django, frozen_rate_limit_clock, settings
):
    """What the deploy settings refuse to start with: no proxy trusted behind one."""
    settings.TRUSTED_PROXIES = []
    flooding = LoopbackClient(nginx_before_django, "127.0.0.2")
    reading = LoopbackClient(nginx_before_django, "127.0.0.3")

    assert search_statuses(flooding, 0, SEARCH_RATE_LIMIT) == [200] * SEARCH_RATE_LIMIT
    assert search_statuses(reading, 100, 3) == [429] * 3


def test_a_readers_purge_is_refused_before_it_reaches_the_edge(balancer):
    """Varnish sees nginx's loopback address, which its purge ACL trusts: nginx must stop PURGE."""
    assert send(f"{balancer.url}/", "PURGE") == 405
    assert balancer.dying.seen == balancer.healthy.seen == []
