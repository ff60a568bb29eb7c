"""The S3 endpoint: s3rver (npm, pinned in package.json).

It stores objects as files, so uploads survive restarts, which moto's in-memory
server does not. It knows one access key, S3RVER (SigV4 signatures are not
checked), ignores ACLs and bucket policies (PutBucketPolicy answers
NotImplemented) and serves every object to anonymous requests: fine for a
loopback-only dev server, and exactly what public media URLs need.
"""

import shutil
import urllib.error
import urllib.request
from pathlib import Path

from .base import Service
from .constants import HOST, PROJECT_ROOT, http_url
from .processes import (
    ServiceError,
    command_line,
    end_process,
    log_tail,
    port_is_open,
    process_is_alive,
    read_pid_line,
    spawn_daemon,
    wait_until,
)
from .programs import S3RVER_SCRIPT


class S3rver(Service):
    def __init__(self, name: str, port: int, directory: Path, buckets: tuple[str, ...]):
        self.name, self.port, self.directory, self.buckets = name, port, directory, buckets
        self.url = http_url(port)
        self.pid_file = directory / "s3rver.pid"
        self.log_file = directory / "s3rver.log"

    def is_up(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/", timeout=1) as response:  # noqa: S310 - loopback
                return b"ListAllMyBucketsResult" in response.read()
        except (OSError, urllib.error.URLError):
            return False

    def pid(self) -> int | None:
        """The pid in the pid file, if that process is still our s3rver."""
        pid = read_pid_line(self.pid_file)
        if pid is not None and process_is_alive(pid) and b"s3rver" in command_line(pid):
            return pid
        return None

    def start(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise ServiceError("Node.js is not installed: apt-get install nodejs npm")
        if not S3RVER_SCRIPT.exists():
            raise ServiceError(f"s3rver is not installed: run `npm ci` in {PROJECT_ROOT}")
        data_dir = self.directory / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        command = [node, str(S3RVER_SCRIPT), "--directory", str(data_dir), "--address", HOST]
        command += ["--port", str(self.port), "--no-vhost-buckets"]
        # Creates each bucket at startup, and leaves one that exists untouched.
        for bucket in self.buckets:
            command += ["--configure-bucket", bucket]
        pid = spawn_daemon(command, self.log_file)
        self.pid_file.write_text(f"{pid}\n")
        wait_until(lambda: self.is_up() or not process_is_alive(pid), timeout=30)
        if not self.is_up():
            raise ServiceError(f"s3rver did not start on {self.url}:\n{log_tail(self.log_file)}")

    def configure(self) -> None:
        """Buckets added since the server started (s3rver creates them only at
        startup) are created now; s3rver checks no signature, so a plain PUT will do."""
        for bucket in self.buckets:
            try:
                self._request("HEAD", bucket)
            except urllib.error.HTTPError as error:
                if error.code != 404:
                    raise ServiceError(f"s3rver answered {error.code} for bucket {bucket}") from None
                self._request("PUT", bucket)

    def _request(self, method: str, bucket: str) -> None:
        request = urllib.request.Request(f"{self.url}/{bucket}", method=method)  # noqa: S310 - loopback URLs
        urllib.request.urlopen(request, timeout=5).close()  # noqa: S310 - loopback URLs

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            end_process(pid)
        self.pid_file.unlink(missing_ok=True)
        if not wait_until(lambda: not port_is_open(self.port), timeout=5):
            raise ServiceError(f"something not started from {self.directory} still serves {self.url}")

    def data_dirs(self) -> list[Path]:
        return [self.directory]
