"""Start, stop and check the project's own services for development and tests.

    python -m project.services start [NAME ...]   start (or reuse) and wait until ready
    python -m project.services stop [NAME ...]    stop cleanly
    python -m project.services status [NAME ...]  one line each; exit 1 if any is down
    python -m project.services reset [NAME ...]   stop and delete the data
    python -m project.services env                shell `export` lines for the URLs
    python -m project.services apt-packages       Debian packages still to install

NAME is one of postgres, redis-broker, redis-cache, s3, postgres-replica; none
means all five.
Every service listens on 127.0.0.1 only and keeps its data under .services/ at
the project root, so several checkouts never share a database or a bucket.
"""

import shlex
import sys
from collections.abc import Callable

from .base import Service
from .constants import service_urls
from .processes import ServiceError
from .programs import missing_packages
from .table import SERVICES, reset, start, stop


def print_line(each: Service, state: str) -> None:
    print(f"{each.name:<16} {state:<8} {each.url}")


def for_each_service(names: list[str], action: Callable[[str], str]) -> int:
    """Run action(name) for each service and print its outcome; 1 if any failed."""
    failed = False
    for name in names or SERVICES:
        try:
            print_line(SERVICES[name], action(name))
        except ServiceError as error:
            print(f"{name:<16} FAILED   {error}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


def command_start(names: list[str]) -> int:
    return for_each_service(names, lambda name: start([name])[name])


def command_stop(names: list[str]) -> int:
    return for_each_service(names, lambda name: stop([name]) or "stopped")


def command_reset(names: list[str]) -> int:
    return for_each_service(names, lambda name: reset([name]) or "reset")


def command_status(names: list[str]) -> int:
    states = {name: SERVICES[name].is_up() for name in names or SERVICES}
    for name, up in states.items():
        print_line(SERVICES[name], "up" if up else "down")
    return 0 if all(states.values()) else 1


def command_env(names: list[str]) -> int:
    for variable, value in service_urls().items():
        print(f"export {variable}={shlex.quote(value)}")
    return 0


def command_apt_packages(names: list[str]) -> int:
    missing = missing_packages()
    if missing:
        print(" ".join(missing))
    return 0


COMMANDS = {
    "start": command_start,
    "stop": command_stop,
    "status": command_status,
    "reset": command_reset,
    "env": command_env,
    "apt-packages": command_apt_packages,
}


def main(arguments: list[str]) -> int:
    if not arguments or arguments[0] not in COMMANDS:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    command, names = arguments[0], arguments[1:]
    unknown = sorted(set(names) - set(SERVICES))
    if unknown:
        print(f"unknown service {', '.join(unknown)}; choose from {', '.join(SERVICES)}", file=sys.stderr)
        return 2
    return COMMANDS[command](names)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
