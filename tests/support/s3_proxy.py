"""A small HTTP proxy in front of the real S3 endpoint that counts what reaches it.

Used by the tests (pinning zero storage requests on a warm render) and the
images benchmark (requests per cold and warm page). Every counted request
really reached the S3 server: nothing is simulated, except when a test sets
the proxy's `failure` to (status, code): it then answers the requests whose
method is in `failing_methods` (all of them by default) with that S3 error
(503 SlowDown, 403 AccessDenied), as S3 itself does. Signed requests pass
through with their Host header, so the server checks their signatures.
"""

import http.client
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from project.services.constants import HOST


class CountingProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        body_length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(body_length) if body_length else None
        self.server.requests.append(f"{self.command} {self.path}")
        if self.server.failure is not None and self.command in self.server.failing_methods:
            self.answer_error(*self.server.failure)
            return
        upstream = http.client.HTTPConnection(HOST, self.server.upstream_port, timeout=30)
        upstream.request(self.command, self.path, body=body, headers=dict(self.headers))
        response = upstream.getresponse()
        payload = response.read()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        upstream.close()

    def answer_error(self, status, code):
        payload = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Error><Code>{code}</Code><Message>{code}</Message><Resource>{self.path}</Resource></Error>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = forward

    def log_message(self, *args):
        pass


@contextmanager
def running_proxy(upstream_port):
    """Yields the proxy: point a storage at its endpoint_url, read its requests, set its failure."""
    proxy = ThreadingHTTPServer((HOST, 0), CountingProxyHandler)
    proxy.requests = []
    proxy.failure = None
    proxy.failing_methods = {"GET", "PUT", "POST", "HEAD", "DELETE"}
    proxy.upstream_port = upstream_port
    proxy.endpoint_url = f"http://{HOST}:{proxy.server_address[1]}"
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()


@contextmanager
def counting_proxy(upstream_port):
    """Yields (endpoint_url, requests): point a storage at endpoint_url, read requests."""
    with running_proxy(upstream_port) as proxy:
        yield proxy.endpoint_url, proxy.requests


def storages_at(storages_setting, endpoint_url):
    """A STORAGES setting with uploads and thumbnails at another S3 endpoint."""
    return {
        **storages_setting,
        "default": {
            **storages_setting["default"],
            "OPTIONS": {**storages_setting["default"].get("OPTIONS", {}), "endpoint_url": endpoint_url},
        },
        "thumbnails": {
            **storages_setting["thumbnails"],
            "OPTIONS": {**storages_setting["thumbnails"].get("OPTIONS", {}), "endpoint_url": endpoint_url},
        },
    }
