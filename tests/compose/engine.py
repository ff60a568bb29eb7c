"""The Docker engine of `make compose-test`: Debian's dockerd with its data root,
exec root, socket and pid file under .services/docker/, stopped by its pid."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from .commands import PROJECT_ROOT, run, say

STATE = PROJECT_ROOT / ".services" / "docker"
SOCKET = STATE / "docker.sock"
PID_FILE = STATE / "dockerd.pid"


def docker_env():
    return {**os.environ, "DOCKER_HOST": f"unix://{SOCKET}", "DOCKER_BUILDKIT": "0"}


def docker(*args, **kwargs):
    return run(["docker", *args], env=docker_env(), **kwargs)


def engine_answers():
    return (
        docker("version", "--format", "{{.Server.Version}}", check=False, capture=True, timeout=10).returncode
        == 0
    )


def install_debian_packages(packages):
    missing = [package for package in packages if shutil.which(packages[package]) is None]
    if not missing:
        return None
    if os.geteuid() != 0:
        return f"not root, and {' '.join(missing)} not installed"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], check=False, capture=True, env=env)
    result = run(["apt-get", "install", "-y", "-qq", *missing], check=False, capture=True, env=env)
    if result.returncode != 0:
        return f"apt-get install {' '.join(missing)} failed"
    return None


def start_engine():
    """Our own dockerd, or the reason it cannot run here (None when it answers)."""
    if shutil.which("docker") is None and install_debian_packages({"docker.io": "docker"}):
        return "no docker client"
    problem = install_debian_packages({"docker.io": "dockerd"})
    if problem:
        return problem
    STATE.mkdir(parents=True, exist_ok=True)
    if engine_answers():
        return None
    if os.geteuid() != 0:
        return "not root, and Debian's dockerd runs as root only"
    log = open(STATE / "dockerd.log", "a")  # noqa: SIM115 - dockerd keeps writing to it
    # No default bridge and no iptables/masquerading: the machine is shared, and
    # nothing here needs them. Builds use the host's network; containers only
    # talk to each other on the compose network and are reached through
    # docker-proxy on loopback ports.
    daemon = subprocess.Popen(
        [
            "dockerd",
            f"--data-root={STATE / 'data'}",
            f"--exec-root={STATE / 'exec'}",
            f"--pidfile={PID_FILE}",
            f"--host=unix://{SOCKET}",
            "--bridge=none",
            "--iptables=false",
            "--ip-masq=false",
        ],
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            reasons = [
                line for line in (STATE / "dockerd.log").read_text().splitlines() if "level=fatal" in line
            ]
            return f"dockerd exited {daemon.returncode}" + (f": {reasons[-1][-200:]}" if reasons else "")
        if engine_answers():
            return None
        time.sleep(0.5)
    return "dockerd did not answer within 60 s"


def has_exited(pid):
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:  # started by this run: reap it, or it lingers as a zombie
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def stop_engine():
    """Stop only the dockerd this script started, by the pid in its own pid file."""
    try:
        pid = int(PID_FILE.read_text())
    except (FileNotFoundError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 60
    while not has_exited(pid):
        if time.monotonic() > deadline:
            say(f"dockerd {pid} still running 60 s after SIGTERM")
            return
        time.sleep(0.3)
    # dockerd 20.10 leaves its network namespace bind-mounted in its exec root.
    exec_root = str(STATE / "exec")
    for mount_point in [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]:
        if mount_point.startswith(exec_root + "/"):
            run(["umount", mount_point], check=False, capture=True)
