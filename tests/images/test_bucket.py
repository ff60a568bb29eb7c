"""The real S3 server (SeaweedFS, as in docker-compose.yml) enforces what
docs/security.md promises: unsigned requests read objects by name and never
list, the app's key uses its buckets and nothing else, and a wrong key is
refused, which `manage.py check_media_bucket` (run by `make run`, `make stack`
and compose's s3-bucket before anything starts) says in one line."""

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.images.bucket import public_read_policy
from project.services.constants import S3_ACCESS_KEY, S3_ADMIN_ACCESS_KEY, S3_ADMIN_SECRET_KEY, S3_TEST_BUCKET
from project.services.seaweedfs import s3_client

pytestmark = pytest.mark.django_db

OTHER_BUCKET = f"{S3_TEST_BUCKET}-not-the-apps"


def http_status(url, method="GET", data=None):
    request = urllib.request.Request(url, method=method, data=data)  # noqa: S310 - our own test endpoint
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - our own test endpoint
            return response.status, response.read()
    except urllib.error.HTTPError as refusal:
        return refusal.code, refusal.read()


@pytest.fixture
def admin_s3():
    """The object store's admin key: what only the bucket set-up holds."""
    return s3_client(settings.AWS_S3_ENDPOINT_URL, S3_ADMIN_ACCESS_KEY, S3_ADMIN_SECRET_KEY)


@pytest.fixture
def app_s3():
    """A plain client with the app's key, as the storage uses it."""
    return default_storage.connection.meta.client


@pytest.fixture
def other_bucket(admin_s3):
    """A bucket the app's key was never given, holding one object."""
    admin_s3.create_bucket(Bucket=OTHER_BUCKET)
    admin_s3.put_object(Bucket=OTHER_BUCKET, Key="private.txt", Body=b"not for the app")
    yield OTHER_BUCKET
    admin_s3.delete_object(Bucket=OTHER_BUCKET, Key="private.txt")
    admin_s3.delete_bucket(Bucket=OTHER_BUCKET)


@pytest.fixture
def stored_object():
    name = default_storage.save("posts/2026/12/bucket-check/probe.txt", ContentFile(b"public by name"))
    yield name
    default_storage.delete(name)


def refusal_code(call):
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"]


def storage_with_options(settings_fixture, **options):
    default = settings.STORAGES["default"]
    settings_fixture.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default.get("OPTIONS", {}), **options}},
    }


def test_policy_lets_anyone_read_objects_by_name_but_never_list():
    policy = public_read_policy("broadsheet-media")

    public_statements = [statement for statement in policy["Statement"] if statement["Principal"] == "*"]
    assert [statement["Effect"] for statement in public_statements] == ["Allow"]
    assert public_statements[0]["Action"] == "s3:GetObject"
    assert public_statements[0]["Resource"] == "arn:aws:s3:::broadsheet-media/*"
    assert "List" not in json.dumps(policy)
    assert "s3:*" not in json.dumps(policy)


def test_print_policy_prints_the_policy_of_the_configured_bucket(capsys):
    call_command("check_media_bucket", "--print-policy")
    assert json.loads(capsys.readouterr().out) == public_read_policy(default_storage.bucket_name)


def test_the_server_serves_objects_by_name_and_refuses_every_anonymous_listing(stored_object):
    endpoint, bucket = settings.AWS_S3_ENDPOINT_URL, default_storage.bucket_name

    assert http_status(default_storage.url(stored_object)) == (200, b"public by name")
    for listing in (f"/{bucket}?list-type=2", f"/{bucket}", f"/{bucket}?versions", "/"):
        status, body = http_status(endpoint + listing)
        assert status == 403, listing
        assert b"<Code>AccessDenied</Code>" in body
        assert stored_object.encode() not in body


def test_anonymous_requests_cannot_write_or_delete(stored_object):
    object_url = default_storage.url(stored_object)

    assert http_status(object_url.replace("probe.txt", "planted.txt"), "PUT", b"x")[0] == 403
    assert http_status(object_url, "DELETE")[0] == 403
    assert default_storage.exists(stored_object)
    assert not default_storage.exists(stored_object.replace("probe.txt", "planted.txt"))


def test_check_passes_on_the_real_server(capsys):
    call_command("check_media_bucket")

    assert "accepts the app's key and refuses anonymous listing" in capsys.readouterr().out


def test_check_fails_once_a_bucket_policy_lets_anyone_list(admin_s3):
    """The server evaluates bucket policies: one that grants listing is caught."""
    bucket = default_storage.bucket_name
    listing_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
            }
        ],
    }
    admin_s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(listing_policy))
    try:
        with pytest.raises(CommandError, match=f"Anyone may list the media bucket {bucket}"):
            call_command("check_media_bucket")
    finally:
        admin_s3.delete_bucket_policy(Bucket=bucket)
    assert http_status(f"{settings.AWS_S3_ENDPOINT_URL}/{bucket}?list-type=2")[0] == 403


def test_check_does_not_call_a_failing_bucket_safe(s3_proxy):
    """An internal error is no refusal: the check must not pass on it."""
    s3_proxy.failure = (500, "InternalError")
    with pytest.raises(CommandError, match="Could not check the media bucket"):
        call_command("check_media_bucket")


def test_a_wrong_secret_is_refused_in_one_line_naming_the_key(settings):
    storage_with_options(settings, secret_key="not-the-secret")

    with pytest.raises(CommandError) as refused:
        call_command("check_media_bucket")

    message = str(refused.value)
    assert message == (
        f'S3 refuses the key "{S3_ACCESS_KEY}" for the bucket {S3_TEST_BUCKET}: SignatureDoesNotMatch '
        "(the secret key is not the one S3 holds for this access key); "
        "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )


def test_an_unknown_access_key_is_refused_in_one_line(settings):
    storage_with_options(settings, access_key="nobody-knows-me")

    with pytest.raises(
        CommandError, match=r'"nobody-knows-me" .*: InvalidAccessKeyId \(S3 knows no such access key\)'
    ):
        call_command("check_media_bucket")


def test_the_app_key_cannot_delete_its_bucket_nor_create_or_list_buckets(app_s3):
    bucket = default_storage.bucket_name

    assert refusal_code(lambda: app_s3.delete_bucket(Bucket=bucket)) == "AccessDenied"
    assert refusal_code(lambda: app_s3.create_bucket(Bucket=f"{bucket}-made-by-the-app")) == "AccessDenied"
    assert refusal_code(lambda: app_s3.put_bucket_policy(Bucket=bucket, Policy="{}")) == "AccessDenied"
    app_s3.head_bucket(Bucket=bucket)


def test_the_app_key_cannot_read_list_or_write_another_bucket(app_s3, other_bucket):
    assert refusal_code(lambda: app_s3.get_object(Bucket=other_bucket, Key="private.txt")) == "AccessDenied"
    assert refusal_code(lambda: app_s3.list_objects_v2(Bucket=other_bucket)) == "AccessDenied"
    assert refusal_code(lambda: app_s3.put_object(Bucket=other_bucket, Key="x", Body=b"x")) == "AccessDenied"
    assert (
        refusal_code(lambda: app_s3.delete_object(Bucket=other_bucket, Key="private.txt")) == "AccessDenied"
    )
    status, _ = http_status(f"{settings.AWS_S3_ENDPOINT_URL}/{other_bucket}/private.txt")
    assert status == 403
