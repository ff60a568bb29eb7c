"""Where the Debian packages put the services' programs, and which of those
packages are still missing.

The Makefile runs this file as a script before the virtualenv exists
(`python3 project/services/programs.py` prints the missing packages), so it uses
the standard library only and imports nothing from the project: importing the
`project` package would load Celery.
"""

import sys
from pathlib import Path

REDIS_BINARY = "/usr/bin/redis-server"
NGINX_BINARY = "/usr/sbin/nginx"
VARNISHD_BINARY = "/usr/sbin/varnishd"
# varnish-modules' surrogate keys, loaded by project/deploy/default.vcl (under the multiarch directory).
XKEY_VMOD_PATTERN = "*/varnish/vmods/libvmod_xkey.so"
OPENSSL_BINARY = "/usr/bin/openssl"
PGBACKREST_BINARY = "/usr/bin/pgbackrest"


def postgres_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's binaries, e.g. /usr/lib/postgresql/15/bin."""
    candidates = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if path.parent.parent.name.isdigit()
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda bin_dir: int(bin_dir.parent.name))


def missing_packages() -> list[str]:
    """Debian packages still to install for the services to run."""
    installed = {
        "postgresql": postgres_bin_dir() is not None,
        "redis-server": Path(REDIS_BINARY).exists(),
        # The load balancer of `make stack`.
        "nginx": Path(NGINX_BINARY).exists(),
        # The edge cache of `make stack`, with the xkey module for purges by key.
        "varnish": Path(VARNISHD_BINARY).exists(),
        "varnish-modules": any(Path("/usr/lib").glob(XKEY_VMOD_PATTERN)),
        # Certificates of the tests' own TLS servers (tests/support/tls.py).
        "openssl": Path(OPENSSL_BINARY).exists(),
        # WAL archiving and backups of `make stack`'s primary; `make restore-check`.
        "pgbackrest": Path(PGBACKREST_BINARY).exists(),
    }
    return [package for package, present in installed.items() if not present]


if __name__ == "__main__":
    print(" ".join(missing_packages()))
    sys.exit(0)
