"""Real S3 (SeaweedFS), real Redis broker, real Celery worker: nothing mocked.

The request counter is a small HTTP proxy in front of the real S3 endpoint;
the storage is pointed at it, so every request it counts really reached S3.
The throwaway S3 server (tests/support/servers.py) is this test's own, so stopping
it never takes down the shared endpoint other test runs use.
"""

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from project.services.constants import S3_PORT
from tests.support.photos import photo_bytes
from tests.support.s3_proxy import counting_proxy, running_proxy, storages_at
from tests.support.servers import s3_on_free_port, stop_if_running


@pytest.fixture
def image_upload():
    """image_upload(name="photo.jpg", size=(w, h), image_format="JPEG"): a browser-like upload."""

    def make(name="photo.jpg", size=(1600, 1000), image_format="JPEG", content=None):
        content = photo_bytes(size, image_format) if content is None else content
        return SimpleUploadedFile(name, content, content_type=f"image/{image_format.lower()}")

    return make


@pytest.fixture
def bucket_keys():
    """bucket_keys(prefix): the keys really stored in the test bucket under a prefix."""

    def list_keys(prefix):
        return {stored.key for stored in default_storage.bucket.objects.filter(Prefix=prefix)}

    return list_keys


def point_storage_at(settings_fixture, endpoint_url):
    """Uploads and thumbnails at another S3 endpoint; Django resets both storages."""
    settings_fixture.STORAGES = storages_at(settings.STORAGES, endpoint_url)


@pytest.fixture
def s3_requests(settings):
    """A list of "METHOD /path" for every request that reaches the real S3 endpoint."""
    with counting_proxy(S3_PORT) as (endpoint_url, requests):
        point_storage_at(settings, endpoint_url)
        yield requests


@pytest.fixture
def s3_proxy(settings):
    """The proxy in front of the real S3 endpoint; set its `failure` to make S3 answer errors."""
    with running_proxy(S3_PORT) as proxy:
        point_storage_at(settings, proxy.endpoint_url)
        yield proxy


@pytest.fixture
def throwaway_s3(settings, tmp_path):
    """Storage pointed at an S3 server this test may stop and start."""
    s3 = s3_on_free_port(tmp_path / "s3")
    s3.start()
    point_storage_at(settings, s3.url)
    yield s3
    stop_if_running(s3)
