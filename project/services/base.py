"""What every service of the table shares: a name, a port, a URL, and the
reuse-or-start logic that makes `start` idempotent."""

from pathlib import Path

from .processes import ServiceError, kill_process, port_is_open, wait_until


class Service:
    """One local server. Subclasses say how to start, stop and recognise it."""

    name: str
    port: int
    url: str

    def is_up(self) -> bool:
        """True when the service answers as itself on its port."""
        raise NotImplementedError

    def start(self) -> None:
        """Start it (it is known to be down) and wait until it answers."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop it cleanly if it is ours and running; refuse to stop a stranger."""
        raise NotImplementedError

    def pid(self) -> int | None:
        """The server process's pid while our server runs."""
        raise NotImplementedError

    def data_dirs(self) -> list[Path]:
        """Every directory holding this service's data, logs and pid file."""
        raise NotImplementedError

    def configure(self) -> None:
        """Settings applied on every start, to a server already running too."""

    def ensure_up(self) -> str:
        """Start unless it is up; return "running" or "started"."""
        if self.is_up():
            state = "running"
        elif port_is_open(self.port):
            # Either the service is still starting (Redis loading its data, say) or
            # a stranger holds the port; give the first a moment before blaming the second.
            if not wait_until(self.is_up, timeout=10):
                raise ServiceError(
                    f"port {self.port} is taken by something that is not {self.name};"
                    " see the BROADSHEET_*_PORT variables"
                )
            state = "running"
        else:
            self.start()
            state = "started"
        self.configure()
        return state

    def kill(self) -> None:
        """SIGKILL the server, as a crash would (fault scenarios)."""
        pid = self.pid()
        if pid is None:
            raise ServiceError(f"{self.name} is not running")
        kill_process(pid)
