"""The real varnishd with project/deploy/default.vcl, in front of any upstream,
in a test's own directory (tests/edge)."""

import http.client
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

import pytest

from project.services.processes import free_port, port_is_open, wait_until
from project.services.programs import VARNISHD_BINARY, XKEY_VMOD_PATTERN
from project.services.stack import varnish_config, varnish_jail, varnishd_command

VARNISH_MISSING = not Path(VARNISHD_BINARY).exists() or not any(Path("/usr/lib").glob(XKEY_VMOD_PATTERN))
needs_varnish = pytest.mark.skipif(
    VARNISH_MISSING,
    reason="varnishd or its xkey module is not installed (apt-get install varnish varnish-modules)",
)


class Answer(NamedTuple):
    status: int
    headers: dict
    body: bytes


class Edge(NamedTuple):
    url: str
    work_dir: Path

    def get(self, path, headers=None):
        return send(f"{self.url}{path}", "GET", headers or {})

    def purge(self, keys, *, header="xkey-softpurge", source_address=None):
        return send(self.url, "PURGE", {header: " ".join(keys)}, source_address=source_address)


def send(url, method, headers, source_address=None):
    request = urllib.request.Request(url, method=method, headers=headers)  # noqa: S310 - loopback
    if source_address is not None:
        opener = urllib.request.build_opener(SourceAddressHandler(source_address))
    else:
        opener = urllib.request.build_opener()
    try:
        with opener.open(request, timeout=10) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


class SourceAddressHandler(urllib.request.HTTPHandler):
    """Connect from another loopback address (127.0.0.2), to be a client the purge ACL does not know."""

    def __init__(self, source_address):
        super().__init__()
        self.source_address = source_address

    def http_open(self, request):
        def connection(host, **kwargs):
            return http.client.HTTPConnection(host, source_address=(self.source_address, 0), **kwargs)

        return self.do_open(connection, request)


def start_edge(directory, upstream_port, purgers, ready_path):
    """varnishd on a free port with the project's VCL; returned once the upstream is
    healthy by its probe and `ready_path` answers through the edge."""
    directory.mkdir(parents=True, exist_ok=True)
    vcl_file = directory / "default.vcl"
    vcl_file.write_text(varnish_config([("127.0.0.1", upstream_port)], purgers))
    port = free_port()
    command = varnishd_command(f"127.0.0.1:{port}", vcl_file, directory / "work", "malloc,32m")
    process = subprocess.Popen(
        [*command, *varnish_jail(directory)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    edge = Edge(f"http://127.0.0.1:{port}", directory / "work")
    started = wait_until(lambda: port_is_open(port), timeout=60) and wait_until(
        lambda: edge.get(ready_path).status == 200, timeout=30, interval=0.2
    )
    if not started:
        process.kill()
        pytest.fail(f"varnishd did not start:\n{process.communicate()[0].decode(errors='replace')}")
    return process, edge


def stop_edge(process):
    process.terminate()
    process.wait(timeout=20)
