"""`make compose-test`: docker-compose.yml started for real, on a Docker engine of its own.

Starts Debian's dockerd with a data root, exec root, socket and pid file under
.services/docker/ (stopped at the end by its pid, whatever happens), builds the
compose file's own images (the project's from the Dockerfile, the object
store's and Redis' from project/deploy/), brings the file up with `up --wait`
(published ports moved to free loopback ports by override.yml), then does what
a developer would and checks the answers.

This machine reaches no image registry, so the pinned images the compose file
and those Dockerfiles name (name:version@sha256:digest) are replaced, only
when the real image is not already present, by stand-ins built from Debian
packages on a debootstrap base (tests/compose/standins/). A stand-in cannot
carry the real digest: it is tagged name:version, and a generated override
(and each build's FROM) names it so. They prove the compose wiring, the
Dockerfiles and the project running inside containers (SeaweedFS from the
locked wheel, Debian's Redis: the real servers), not the upstream base images.

Exit status: 0 passed, 1 failed, 77 when the engine cannot start here at all
(.ci/run reports that as skipped).
"""

import subprocess
import sys
import time

from tests.support.compose import ComposeMissing

from .checks import (
    check_a_wrong_app_key_stops_the_start,
    check_beat_runs_once,
    check_down_cleans_up,
    check_object_store_keys,
    check_pages,
    check_second_up_is_idempotent,
    check_thumbnails,
)
from .commands import Failure, say
from .engine import start_engine, stop_engine
from .images import ensure_images
from .stack import Stack

SKIPPED = 77


def exercise():
    stack = Stack()
    say(
        "images the registries would serve are replaced by stand-ins built from Debian packages when absent: "
        "this proves the compose wiring, the Dockerfile and the project inside containers,"
        " not the upstream images"
    )
    substitutes = ensure_images(stack.model())
    stack.use_stand_ins(substitutes)
    # What an interrupted earlier run left (a volume initialised with other secrets) goes first.
    stack.compose("down", "-v", "--remove-orphans", check=False, capture=True, timeout=180)
    started = time.monotonic()
    try:
        stack.compose(
            "up", "--wait", "--no-build", "--pull", "never", "--quiet-pull", capture=True, timeout=300
        )
        say(f"`up --wait` healthy in {time.monotonic() - started:.0f} s (web on 127.0.0.1:{stack.web_port})")
        check_pages(stack)
        check_thumbnails(stack)
        check_object_store_keys(stack)
        check_a_wrong_app_key_stops_the_start(stack)
        check_beat_runs_once(stack)
        check_second_up_is_idempotent(stack, stack.container_ids())
    except Exception:
        stack.dump_state()
        stack.compose("down", "-v", "--remove-orphans", check=False, capture=True, timeout=180)
        raise
    check_down_cleans_up(stack)
    return sorted(substitutes.values())


def main():
    started = time.monotonic()
    try:
        problem = start_engine()
    except OSError as error:
        problem = str(error)
    if problem:
        print(f"compose-test skipped: the Docker engine cannot start here ({problem})", flush=True)
        stop_engine()
        return SKIPPED
    try:
        stand_ins = exercise()
    except (Failure, ComposeMissing, subprocess.TimeoutExpired, subprocess.CalledProcessError) as error:
        say(f"FAILED: {error}")
        return 1
    finally:
        stop_engine()
    say(
        f"passed in {time.monotonic() - started:.0f} s, with stand-ins for"
        f" {', '.join(stand_ins) or 'no image'}: the compose wiring, the Dockerfile and"
        " the project in containers are proven, not the upstream images"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
