"""A redis-server of the checkout's own, daemonized, with its pid file, log and
data in one directory. Another checkout (or a system Redis) may listen on the
port: stop() never sends it our SHUTDOWN."""

import re
import socket
from pathlib import Path

from .base import Service
from .constants import HOST, redis_url
from .processes import ServiceError, log_tail, port_is_open, process_is_alive, read_pid_line, run, wait_until
from .programs import REDIS_BINARY

# The broker must never lose or evict a queued task; the cache may lose anything.
BROKER_OPTIONS = ["--appendonly", "yes", "--maxmemory-policy", "noeviction"]
CACHE_OPTIONS = ["--appendonly", "no", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"]


def redis_command(port: int, *arguments: str) -> bytes:
    """Send one command in the Redis protocol and return the raw reply."""
    request = f"*{len(arguments)}\r\n" + "".join(f"${len(arg)}\r\n{arg}\r\n" for arg in arguments)
    with socket.create_connection((HOST, port), timeout=2) as connection:
        connection.sendall(request.encode())
        return connection.recv(65536)


class RedisServer(Service):
    def __init__(self, name: str, port: int, directory: Path, options: list[str], *, keeps_data: bool):
        self.name, self.port, self.directory, self.options = name, port, directory, options
        self.keeps_data = keeps_data
        self.url = redis_url(port)
        self.pid_file = directory / "redis.pid"
        self.log_file = directory / "redis.log"

    def is_up(self) -> bool:
        try:
            # While it loads its append-only file Redis answers -LOADING, not +PONG.
            return redis_command(self.port, "PING") == b"+PONG\r\n"
        except OSError:
            return False

    def start(self) -> None:
        if not Path(REDIS_BINARY).exists():
            raise ServiceError("Redis is not installed: apt-get install redis-server")
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [REDIS_BINARY, "--daemonize", "yes", "--bind", HOST, "--port", str(self.port)]
        command += ["--dir", str(self.directory), "--pidfile", str(self.pid_file)]
        command += ["--logfile", str(self.log_file)]
        command += ["--save", "", *self.options]
        run(command)
        if not wait_until(self.is_up, timeout=30):
            log = log_tail(self.log_file)
            raise ServiceError(f"{self.name} did not answer PING on port {self.port}:\n{log}")

    def serving_pid(self) -> int | None:
        """The pid of whatever Redis answers on the port, by its own account."""
        try:
            info = redis_command(self.port, "INFO", "server").decode(errors="replace")
        except OSError:
            return None
        served_by = re.search(r"process_id:(\d+)", info)
        return int(served_by.group(1)) if served_by else None

    def pid(self) -> int | None:
        our_pid = read_pid_line(self.pid_file)
        if our_pid is not None and process_is_alive(our_pid) and self.serving_pid() in (our_pid, None):
            return our_pid
        return None

    def is_ours(self) -> bool:
        """Whether the Redis on the port is the one our pid file names."""
        our_pid = read_pid_line(self.pid_file)
        return our_pid is not None and self.serving_pid() == our_pid

    def stop(self) -> None:
        if port_is_open(self.port) and not self.is_ours():
            raise ServiceError(f"something not started from {self.directory} still serves port {self.port}")
        shutdown = ["SHUTDOWN"] if self.keeps_data else ["SHUTDOWN", "NOSAVE"]
        try:
            reply = redis_command(self.port, *shutdown)
        except OSError:
            reply = b""
        if reply.startswith(b"-"):
            raise ServiceError(f"{self.name} refused to shut down: {reply.decode().strip()}")
        if not wait_until(lambda: not port_is_open(self.port), timeout=15):
            raise ServiceError(f"{self.name} is still listening on port {self.port}")

    def data_dirs(self) -> list[Path]:
        return [self.directory]

    def used_memory(self) -> int:
        """Bytes Redis says it holds (INFO memory used_memory)."""
        info = redis_command(self.port, "INFO", "memory").decode(errors="replace")
        return int(re.search(r"used_memory:(\d+)", info).group(1))
