"""Waiting, ports, pids and detached daemons: what every service class needs,
and what the tests' throwaway servers reuse (tests/support)."""

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .constants import HOST


class ServiceError(Exception):
    """A service could not be started or stopped; the message says what to do."""


def run_command_line(main: Callable[[list[str]], int], program: str) -> None:
    """Exit with main(sys.argv[1:]); a ServiceError ends it with one line naming the program."""
    try:
        sys.exit(main(sys.argv[1:]))
    except ServiceError as error:
        sys.exit(f"{program}: {error}")


def wait_until(check: Callable[[], object], timeout: float, interval: float = 0.05):
    """Poll check() until it returns something true or the time is up; return its last result."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    return check()


def port_is_open(port: int, host: str = HOST) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def answers_http(url: str, timeout: float = 5) -> bool:
    """Whether a GET of url answers 200 (an app server that has booted its workers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback URLs
            return response.status == 200
    except OSError:
        return False


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def running_as_root() -> bool:
    return os.geteuid() == 0


def user_can_enter(user: str, directory: Path) -> bool:
    """Whether a system user may reach a directory (root checks this for the servers it starts)."""
    # `test -x` as that user checks every parent directory too, ACLs included.
    command = ["runuser", "-u", user, "--", "test", "-x", str(directory)]
    return subprocess.run(command, cwd="/", check=False).returncode == 0


def run(command: list[str], *, as_user: str | None = None) -> str:
    """Run a command and return its output; raise with its output if it fails."""
    if as_user is not None:
        command = ["runuser", "-u", as_user, "--", *command]
    # cwd="/" because another user (postgres) may not be allowed into the caller's cwd.
    result = subprocess.run(command, capture_output=True, text=True, cwd="/", check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise ServiceError(f"`{shlex.join(command)}` failed:\n{output}")
    return result.stdout


def log_tail(log_file: Path, lines: int = 15) -> str:
    if not log_file.exists():
        return "(no log file)"
    return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])


def process_is_alive(pid: int) -> bool:
    """True for a live process; a zombie (killed, not yet reaped) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def read_pid_line(pid_file: Path) -> int | None:
    """The pid on the first line of a pid file, if there is one."""
    try:
        return int(pid_file.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def command_line(pid: int) -> bytes:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    return b""


def spawn_daemon(command: list[str], log_file: Path, env: dict[str, str] | None = None) -> int:
    """Start a command in its own session, detached from us; return its pid.

    The shell's background job is adopted by init when the shell exits, so the
    daemon outlives this process and is never left a zombie of it.
    """
    launcher = 'exec "$@" </dev/null >>"$LOG_FILE" 2>&1 & echo $!'
    shell = subprocess.run(
        ["sh", "-c", launcher, "sh", *command],
        env={**(os.environ if env is None else env), "LOG_FILE": str(log_file)},
        capture_output=True,
        text=True,
        start_new_session=True,
        check=True,
    )
    return int(shell.stdout)


def end_process(pid: int, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not gone within the timeout."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        if not wait_until(lambda: not process_is_alive(pid), timeout=timeout):
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not process_is_alive(pid), timeout=5)


def kill_process(pid: int) -> None:
    """SIGKILL, as a crash would, and wait until it is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if not wait_until(lambda: not process_is_alive(pid), timeout=10):
        raise ServiceError(f"process {pid} survived SIGKILL")
