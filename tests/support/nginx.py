"""project/deploy/nginx.conf run by the real nginx on a free port, in front of
the app servers a test names, with everything it writes in the test's directory."""

import contextlib
import subprocess

from project.services.processes import free_port, port_is_open, running_as_root, wait_until
from project.services.programs import NGINX_BINARY
from project.services.stack import nginx_config


@contextlib.contextmanager
def nginx_in_front_of(directory, server_lines):
    """Yields the balancer's URL; `server_lines` fill the upstream (`server host:port ...;`)."""
    port = free_port()
    (directory / "logs").mkdir()
    (directory / "temp").mkdir()
    config_file = directory / "nginx.conf"
    config = nginx_config(f"127.0.0.1:{port}", server_lines)
    if running_as_root():
        # The workers must reach this test's private temporary directory.
        config = config.replace("user www-data;", "user root;")
    config_file.write_text(config)
    nginx = subprocess.Popen(
        [NGINX_BINARY, "-p", f"{directory}/", "-c", str(config_file), "-e", "logs/error.log"],
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_until(lambda: port_is_open(port), timeout=10), "nginx did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
