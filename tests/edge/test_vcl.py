"""project/deploy/default.vcl run by the real varnishd in front of a small
upstream that answers like the app: public pages with an edge lifetime and
their keys, private answers, answers that set a cookie. What is stored, what
is passed, and what a purge by key removes."""

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from project.services.processes import free_port, wait_until
from tests.support.varnish import needs_varnish, send, start_edge, stop_edge

pytestmark = needs_varnish

PUBLIC = "public, max-age=60, s-maxage=600, stale-while-revalidate=30, stale-if-error=3600"
# What each page shows, as the app's xkey header says it.
PAGE_KEYS = {
    "/front/": "home post-1 post-2",
    "/posts/one/": "post-1",
    "/posts/two/": "post-2",
    "/soft/front/": "home post-11 post-12",
    "/soft/one/": "post-11",
    "/soft/two/": "post-12",
}


class Upstream(ThreadingHTTPServer):
    def __init__(self):
        self.requests = Counter()
        self.seen = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", free_port()), UpstreamHandler)

    def count(self, path):
        with self.lock:
            return self.requests[path]


class UpstreamHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_request(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.requests[self.path] += 1
            self.server.seen.append((self.command, self.path, dict(self.headers)))
            served = self.server.requests[self.path]
        path = urlsplit(self.path).path
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if path in ("/healthz", "/ready"):
            headers["Cache-Control"] = "no-store"
        elif path == "/sets-cookie/":
            headers.update({"Cache-Control": PUBLIC, "Set-Cookie": "csrftoken=abc; Path=/"})
        elif path == "/private/":
            headers["Cache-Control"] = "private, no-cache"
        else:
            headers.update({"Cache-Control": PUBLIC, "xkey": PAGE_KEYS.get(path, "post-99")})
        body = f"<p>{self.path} rendered {served} times</p>".encode() * 40
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = handle_request

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def upstream():
    server = Upstream()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def edge(upstream, tmp_path_factory):
    process, edge = start_edge(
        tmp_path_factory.mktemp("varnish"),
        upstream.server_address[1],
        purgers=["127.0.0.1"],
        ready_path="/ready",
    )
    yield edge
    stop_edge(process)


def test_a_second_request_is_a_hit(edge, upstream):
    first = edge.get("/hit/")
    second = edge.get("/hit/")

    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert second.body == first.body
    assert upstream.count("/hit/") == 1
    assert "xkey" not in second.headers, "the keys stay at the edge"


def test_a_made_up_session_cookie_is_served_from_the_edge(edge, upstream):
    edge.get("/cookie/")

    answer = edge.get("/cookie/", {"Cookie": "sessionid=made-up; csrftoken=x"})

    assert answer.headers["X-Cache"] == "hit"
    assert upstream.count("/cookie/") == 1
    assert not [
        headers for _method, path, headers in upstream.seen if path == "/cookie/" and "Cookie" in headers
    ]


def test_a_signed_in_marker_goes_to_the_app_every_time_with_its_cookies(edge, upstream):
    cookie = "sessionid=abc; broadsheet_signed_in=signed"
    answers = [edge.get("/signed-in/", {"Cookie": cookie}) for _ in range(2)]

    assert [answer.headers["X-Cache"] for answer in answers] == ["miss", "miss"]
    assert upstream.count("/signed-in/") == 2
    sent = [headers["Cookie"] for _method, path, headers in upstream.seen if path == "/signed-in/"]
    assert sent == [cookie, cookie]


def test_a_reader_who_just_wrote_goes_to_the_app(edge, upstream):
    for _ in range(2):
        edge.get("/wrote/", {"Cookie": "broadsheet_wrote=1:signed"})

    assert upstream.count("/wrote/") == 2


@pytest.mark.parametrize("path", ["/sets-cookie/", "/private/"])
def test_responses_setting_a_cookie_or_private_are_never_stored(edge, upstream, path):
    answers = [edge.get(path) for _ in range(2)]

    assert upstream.count(path) == 2
    assert answers[1].headers["X-Cache"] == "miss"


def test_tracking_parameters_and_parameter_order_share_one_stored_page(edge, upstream):
    edge.get("/query/?b=2&a=1&utm_source=mail&utm_campaign=x")

    answer = edge.get("/query/?fbclid=abc&a=1&b=2")

    assert answer.headers["X-Cache"] == "hit"
    assert [path for _method, path, _headers in upstream.seen if path.startswith("/query/")] == [
        "/query/?a=1&b=2"
    ]


def test_gzip_and_plain_readers_share_one_stored_page(edge, upstream):
    edge.get("/encoding/")

    answer = edge.get("/encoding/", {"Accept-Encoding": "br, gzip, deflate"})

    assert answer.headers["X-Cache"] == "hit"
    assert answer.headers["Content-Encoding"] == "gzip"
    assert upstream.count("/encoding/") == 1


def test_a_purge_by_key_removes_exactly_the_pages_that_show_it(edge, upstream):
    for path in ("/front/", "/posts/one/", "/posts/two/"):
        edge.get(path)

    purged = edge.purge(["post-1"], header="xkey-purge")

    assert purged.status == 200
    assert {
        path: edge.get(path).headers["X-Cache"] for path in PAGE_KEYS if not path.startswith("/soft")
    } == {
        "/front/": "miss",
        "/posts/one/": "miss",
        "/posts/two/": "hit",
    }


def test_a_soft_purge_refreshes_exactly_the_pages_that_show_it_in_the_background(edge, upstream):
    """Soft: the next reader still gets the stale copy at once, while one fetch refreshes it."""
    for path in ("/soft/front/", "/soft/one/", "/soft/two/"):
        edge.get(path)

    assert edge.purge(["post-11"]).status == 200
    stale = edge.get("/soft/one/")

    assert stale.headers["X-Cache"] == "hit"
    assert wait_until(lambda: upstream.count("/soft/one/") == 2, timeout=10, interval=0.05)
    assert b"rendered 2 times" in edge.get("/soft/one/").body
    edge.get("/soft/front/")
    assert wait_until(lambda: upstream.count("/soft/front/") == 2, timeout=10, interval=0.05)
    assert edge.get("/soft/two/").headers["X-Cache"] == "hit"
    assert upstream.count("/soft/two/") == 1


def test_a_purge_from_an_address_that_is_not_an_app_server_is_refused(edge, upstream):
    edge.get("/not-purged/")

    refused = edge.purge(["post-99"], header="xkey-purge", source_address="127.0.0.2")

    assert refused.status == 403
    assert edge.get("/not-purged/").headers["X-Cache"] == "hit"


def test_writes_always_reach_the_app(edge, upstream):
    for _ in range(2):
        send(f"{edge.url}/posts/7/read/", "POST", {})

    assert upstream.count("/posts/7/read/") == 2
