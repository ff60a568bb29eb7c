"""A small HTTP proxy in front of the real S3 endpoint that counts what reaches it.

Used by the tests (pinning zero storage requests on a warm render) and the
images benchmark (requests per cold and warm page). Every counted request
really reached s3rver: nothing is simulated.
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

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = forward

    def log_message(self, *args):
        pass


@contextmanager
def counting_proxy(upstream_port):
    """Yields (endpoint_url, requests): point a storage at endpoint_url, read requests."""
    proxy = ThreadingHTTPServer((HOST, 0), CountingProxyHandler)
    proxy.requests = []
    proxy.upstream_port = upstream_port
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{proxy.server_address[1]}", proxy.requests
    finally:
        proxy.shutdown()
        proxy.server_close()


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
