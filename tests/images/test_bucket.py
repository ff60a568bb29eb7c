"""Unguessable upload names protect nothing if anyone may list the bucket:
the policy grants reads by name only, and a check fails on a listable bucket.

s3rver cannot enforce a policy (it lists to anyone), so the check is proven
twice: it fails on the real s3rver as it is, and it passes once the proxy in
front of s3rver refuses unsigned listing as the policy makes S3 do."""

import json
import urllib.error
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.images.bucket import public_read_policy

pytestmark = pytest.mark.django_db


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


def test_check_fails_on_a_bucket_anyone_can_list(s3_proxy):
    """The development s3rver lists to anyone: the check says so in one line."""
    with pytest.raises(CommandError, match="Anyone may list the media bucket"):
        call_command("check_media_bucket")
    assert any(request.startswith("GET /") for request in s3_proxy.requests)


def test_check_passes_when_anonymous_listing_is_refused_and_objects_stay_public(s3_proxy, capsys):
    s3_proxy.refuse_anonymous_listing = True
    name = default_storage.save("posts/2026/12/bucket-check/probe.txt", ContentFile(b"public by name"))

    call_command("check_media_bucket")

    assert "refuses anonymous listing" in capsys.readouterr().out
    with urllib.request.urlopen(default_storage.url(name)) as response:  # noqa: S310 - our own test endpoint
        assert response.read() == b"public by name"
    bucket_url = f"{s3_proxy.endpoint_url}/{default_storage.bucket_name}?list-type=2"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bucket_url)  # noqa: S310 - our own test endpoint
    assert refused.value.code == 403
    default_storage.delete(name)


def test_check_does_not_call_a_failing_bucket_safe(s3_proxy):
    """An internal error is no refusal: the check must not pass on it."""
    s3_proxy.failure = (500, "InternalError")
    with pytest.raises(CommandError, match="Could not check the media bucket"):
        call_command("check_media_bucket")
