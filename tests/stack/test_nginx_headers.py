"""project/deploy/nginx.conf run by the real nginx in front of the real app
(Django's WSGI handler, whitenoise included, serving a static root as
collectstatic leaves it): what readers receive says no header twice.

nginx's `gzip_vary` adds `Vary: Accept-Encoding` to whatever it could compress,
without looking at the Vary the app sent: on a static file whitenoise had
already said it, so the file would say it twice."""

import threading
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections

from tests.support.headers import collect_stylesheet, header_problems
from tests.support.nginx import nginx_in_front_of
from tests.support.pages import build_site, page_urls


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve_until_shut_down(server):
    try:
        server.serve_forever()
    finally:
        connections.close_all()


@pytest.fixture
def site_behind_nginx(transactional_db, settings, tmp_path):
    """(the balancer's URL, the site's page URLs, the stylesheet's URL) of one app server behind nginx."""
    settings.STATIC_ROOT = tmp_path / "static"
    stylesheet_url = collect_stylesheet(settings.STATIC_ROOT)
    site = build_site()
    app_server = make_server("127.0.0.1", 0, WSGIHandler(), WSGIServer, QuietHandler)
    threading.Thread(target=serve_until_shut_down, args=[app_server], daemon=True).start()
    balancer_directory = tmp_path / "nginx"
    balancer_directory.mkdir()
    with nginx_in_front_of(balancer_directory, [f"server 127.0.0.1:{app_server.server_port};"]) as url:
        yield url, page_urls(site), stylesheet_url
    app_server.shutdown()
    app_server.server_close()


def header_lines(url, accept_encoding):
    request = urllib.request.Request(url, headers={"Accept-Encoding": accept_encoding})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return response.headers.items()


@pytest.mark.parametrize("accept_encoding", ["gzip", "identity"])
def test_a_static_file_through_nginx_says_vary_accept_encoding_once(site_behind_nginx, accept_encoding):
    balancer_url, _, stylesheet_url = site_behind_nginx

    lines = header_lines(balancer_url + stylesheet_url, accept_encoding)

    assert [value for name, value in lines if name.lower() == "vary"] == ["Accept-Encoding"]
    assert header_problems(lines) == []


def test_no_page_through_nginx_says_a_header_twice(site_behind_nginx):
    balancer_url, urls, _ = site_behind_nginx

    problems = {
        (name, accept_encoding): header_problems(header_lines(balancer_url + url, accept_encoding))
        for name, url in urls.items()
        for accept_encoding in ("gzip", "identity")
    }

    assert {page: found for page, found in problems.items() if found} == {}
