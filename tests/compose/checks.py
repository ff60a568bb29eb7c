"""What `make compose-test` checks against the running project, each answer said
as `ok - ...` or raised as a Failure."""

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from .commands import Failure, run, say
from .engine import docker
from .stack import PROJECT_NAME

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
