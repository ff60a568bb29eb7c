"""The images of `make compose-test`: the real ones where present, else stand-ins
tagged with the exact names, built from Debian packages on a debootstrap base
(tests/compose/standins/); then the project's image from the Dockerfile."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .commands import PROJECT_ROOT, Failure, run, say
from .engine import docker, docker_env, install_debian_packages

HERE = Path(__file__).resolve().parent
CACHE = PROJECT_ROOT / ".services" / "compose-cache"
BASE_IMAGE = "broadsheet-standin/base:bookworm"
STAND_IN_LABEL = "org.broadsheet.stand-in"
# The repository part of each image the compose file or the Dockerfile names,
# and the stand-in directory under standins/ that replaces it.
STAND_INS = {"postgres": "postgres", "redis": "redis", "chrislusf/seaweedfs": "seaweedfs", "python": "python"}


def image_labels(name):
    result = docker(
        "image", "inspect", "--format", "{{json .Config.Labels}}", name, check=False, capture=True
    )
    if result.returncode != 0:
        return None
    return json.loads(result.stdout) or {}


def debian_mirror():
    """The Debian mirror this machine's apt uses (deb822 or one-line sources)."""
    for path in sorted(Path("/etc/apt").glob("sources.list*")) + sorted(
        Path("/etc/apt/sources.list.d").glob("*")
    ):
        if not path.is_file():
            continue
        text = path.read_text()
        for stanza in text.split("\n\n"):
            if re.search(r"^Suites:.*\bbookworm\b", stanza, re.MULTILINE):
                match = re.search(r"^URIs:\s*(\S+)", stanza, re.MULTILINE)
                if match and "security" not in match.group(1):
                    return match.group(1)
        for line in text.splitlines():
            match = re.match(r"deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", line)
            if match:
                return match.group(1)
    return "http://deb.debian.org/debian"


def ensure_base_image():
    """debootstrap's minbase bookworm, with this machine's CA certificates, cached as a tarball."""
    if image_labels(BASE_IMAGE) is not None:
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / "bookworm-minbase.tar"
    if not tarball.exists():
        problem = install_debian_packages({"debootstrap": "debootstrap"})
        if problem:
            raise Failure(problem)
        mirror = debian_mirror()
        say(
            f"debootstrap --variant=minbase bookworm from {mirror}"
            f" (cached in {tarball.relative_to(PROJECT_ROOT)})"
        )
        with tempfile.TemporaryDirectory(dir=CACHE) as root:
            run(
                ["debootstrap", "--variant=minbase", "--include=ca-certificates", "bookworm", root, mirror],
                capture=True,
            )
            # apt and pip inside the stand-ins reach the registries through this
            # machine's TLS setup: its extra CA certificates and pip settings.
            extra_certificates = Path("/usr/local/share/ca-certificates")
            if extra_certificates.is_dir():
                shutil.copytree(
                    extra_certificates, Path(root) / "usr/local/share/ca-certificates", dirs_exist_ok=True
                )
            if Path("/etc/pip.conf").is_file():
                shutil.copy("/etc/pip.conf", Path(root) / "etc/pip.conf")
            run(["chroot", root, "update-ca-certificates"], capture=True)
            run(["tar", "-C", root, "-cf", f"{tarball}.partial", "."], capture=True)
        os.replace(f"{tarball}.partial", tarball)
    with open(tarball, "rb") as stream:
        subprocess.run(
            ["docker", "import", "--change", f"LABEL {STAND_IN_LABEL}=base", "-", BASE_IMAGE],
            stdin=stream,
            env=docker_env(),
            check=True,
            capture_output=True,
        )


def stand_in_version(directory):
    """A digest of the stand-in's files: a changed stand-in is rebuilt."""
    digest = subprocess.run(
        ["sha256sum", *sorted(str(path) for path in directory.iterdir())],
        capture_output=True,
        text=True,
        check=True,
    )
    return subprocess.run(["sha256sum"], input=digest.stdout, capture_output=True, text=True).stdout[:16]


def stand_in_to_build(name):
    """(name, directory, version) of the stand-in to build for an image, or None if none is needed."""
    repository = name.rsplit(":", 1)[0]
    labels = image_labels(name)
    if labels is not None and STAND_IN_LABEL not in labels:
        say(f"{name}: the real image is present and used")
        return None
    if repository not in STAND_INS:
        raise Failure(f"{name} is not present and has no stand-in in tests/compose/standins/")
    directory = HERE / "standins" / STAND_INS[repository]
    version = stand_in_version(directory)
    if labels is not None and labels.get(STAND_IN_LABEL) == version:
        say(f"{name}: stand-in (cached) from tests/compose/standins/{directory.name}")
        return None
    return name, directory, version


def build_stand_in(name, directory, version):
    started = time.monotonic()
    docker(
        "build",
        "--network=host",
        "--quiet",
        f"--label={STAND_IN_LABEL}={version}",
        "-t",
        name,
        str(directory),
        capture=True,
    )
    say(
        f"{name}: stand-in built from tests/compose/standins/{directory.name}"
        f" in {time.monotonic() - started:.0f} s"
    )


def build_project_image():
    started = time.monotonic()
    docker("build", "--network=host", "--quiet", "-t", "broadsheet:local", ".", capture=True, timeout=900)
    say(f"broadsheet:local built from the Dockerfile in {time.monotonic() - started:.0f} s")


def ensure_images(dockerfile_base, compose_images):
    """The real images where present, else stand-ins tagged with the exact names; then the project's image.

    The Dockerfile's base comes first and the project's image right after it,
    while the other stand-ins build beside them. Returns the stand-ins' names.
    """
    names = [dockerfile_base, *compose_images]
    builds = {build[0]: build for build in map(stand_in_to_build, names) if build}
    if builds:
        ensure_base_image()

    def base_then_project():
        if dockerfile_base in builds:
            build_stand_in(*builds[dockerfile_base])
        build_project_image()

    with ThreadPoolExecutor(max_workers=len(builds) + 1) as pool:
        jobs = [pool.submit(base_then_project)]
        jobs += [
            pool.submit(build_stand_in, *build) for name, build in builds.items() if name != dockerfile_base
        ]
        for job in jobs:
            job.result()
    return [name for name in names if STAND_IN_LABEL in (image_labels(name) or {})]
