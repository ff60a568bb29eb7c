"""The images of `make compose-test`: the real pinned ones where present, else
stand-ins tagged name:version (a stand-in cannot carry the real digest), built
from Debian packages on a debootstrap base (tests/compose/standins/); then the
compose file's own images (web's, the object store's, Redis') on those bases."""

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
STAND_INS = {"postgres": "postgres", "python": "python", "debian": "debian"}


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


def without_digest(reference):
    """python:3.11.16-slim-bookworm@sha256:... -> python:3.11.16-slim-bookworm, the stand-in's tag."""
    return reference.split("@", 1)[0]


def stand_in_to_build(reference):
    """(tag, directory, version) of the stand-in to build for a pinned image, or None if none is needed."""
    if image_labels(reference) is not None:
        say(f"{reference}: the real image is present and used")
        return None
    tag = without_digest(reference)
    repository = tag.rsplit(":", 1)[0]
    if repository not in STAND_INS:
        raise Failure(f"{reference} is not present and has no stand-in in tests/compose/standins/")
    directory = HERE / "standins" / STAND_INS[repository]
    version = stand_in_version(directory)
    if (image_labels(tag) or {}).get(STAND_IN_LABEL) == version:
        say(f"{tag}: stand-in (cached) from tests/compose/standins/{directory.name}")
        return None
    return tag, directory, version


def build_stand_in(tag, directory, version):
    started = time.monotonic()
    docker(
        "build",
        "--network=host",
        "--quiet",
        f"--label={STAND_IN_LABEL}={version}",
        "-t",
        tag,
        str(directory),
        capture=True,
    )
    say(
        f"{tag}: stand-in built from tests/compose/standins/{directory.name}"
        f" in {time.monotonic() - started:.0f} s"
    )


def dockerfile_base(dockerfile):
    return re.search(r"^FROM\s+(\S+)", dockerfile.read_text(), re.MULTILINE).group(1)


def build_project_image(image, context, dockerfile, substitutes):
    """docker build of one of the compose file's own images; a base replaced by its
    stand-in is named by its tag, since a stand-in cannot carry the real digest."""
    text = dockerfile.read_text()
    base = dockerfile_base(dockerfile)
    text = text.replace(f"FROM {base}", f"FROM {substitutes.get(base, base)}", 1)
    started = time.monotonic()
    docker(
        "build", "--network=host", "--quiet", "-t", image, "-f", "-", str(context),
        capture=True, timeout=900, input_text=text,
    )  # fmt: skip
    say(f"{image} built from {dockerfile.relative_to(PROJECT_ROOT)} in {time.monotonic() - started:.0f} s")


def ensure_images(model):
    """The real pinned images where present, else stand-ins tagged name:version; then the
    compose file's own images (web's, the object store's, Redis') on those bases.

    Returns {pinned reference: stand-in tag} for every image a stand-in replaces.
    """
    services = model["services"].values()
    built = {
        service["image"]: (
            PROJECT_ROOT / service["build"]["context"],
            PROJECT_ROOT / service["build"]["context"] / service["build"].get("dockerfile", "Dockerfile"),
        )
        for service in services
        if "build" in service
    }
    pinned = sorted(
        {service["image"] for service in services if "build" not in service}
        | {dockerfile_base(dockerfile) for _, dockerfile in built.values()}
    )
    builds = [build for build in map(stand_in_to_build, pinned) if build]
    if builds:
        ensure_base_image()
    with ThreadPoolExecutor(max_workers=len(builds) + 1) as pool:
        for job in [pool.submit(build_stand_in, *build) for build in builds]:
            job.result()
    substitutes = {
        reference: without_digest(reference)
        for reference in pinned
        if STAND_IN_LABEL in (image_labels(without_digest(reference)) or {})
        and image_labels(reference) is None
    }
    with ThreadPoolExecutor(max_workers=len(built)) as pool:
        jobs = [
            pool.submit(build_project_image, image, context, dockerfile, substitutes)
            for image, (context, dockerfile) in built.items()
        ]
        for job in jobs:
            job.result()
    return substitutes
