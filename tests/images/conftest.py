"""Real S3 (s3rver), real Redis broker, real Celery worker: nothing mocked.

The request counter is a small HTTP proxy in front of the real S3 endpoint;
the storage is pointed at it, so every request it counts really reached S3.
The throwaway s3rver is this module's own, so stopping it never takes down
the shared endpoint other test runs use.
"""

import contextlib
import shutil
import socket
import subprocess
import time

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from project.celery import app as celery_app
from project.services import HOST, S3_PORT, S3_TEST_BUCKET, S3RVER_SCRIPT
from tests.images.photos import photo_bytes
from tests.images.s3_proxy import counting_proxy, running_proxy, storages_at


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


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class ThrowawayS3:
    """Our own s3rver on a free port, with its own data directory."""

    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        self.endpoint_url = f"http://{HOST}:{self.port}"
        self.process = None

    def is_up(self):
        with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), timeout=0.2):
            return True
        return False

    def start(self):
        command = [shutil.which("node"), str(S3RVER_SCRIPT), "--directory", str(self.directory)]
        command += ["--address", HOST, "--port", str(self.port), "--no-vhost-buckets"]
        command += ["--configure-bucket", S3_TEST_BUCKET, "--silent"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not self.is_up():
            assert time.monotonic() < deadline, "the throwaway s3rver did not start"
            time.sleep(0.05)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        assert not self.is_up()


@pytest.fixture
def throwaway_s3(settings, tmp_path):
    """Storage pointed at an s3rver this test may stop and start."""
    s3 = ThrowawayS3(tmp_path / "s3")
    s3.start()
    point_storage_at(settings, s3.endpoint_url)
    yield s3
    if s3.process.poll() is None:
        s3.stop()


@pytest.fixture
def broker_messages():
    """broker_messages(): (task name, args) of what reached the real Redis broker, per queue."""
    with celery_app.connection_for_write() as connection:
        for queue in ("high", "low"):
            connection.default_channel.queue_purge(queue)

    def read():
        received = {}
        with celery_app.connection_for_write() as connection:
            for queue in ("high", "low"):
                while (message := connection.default_channel.basic_get(queue, no_ack=True)) is not None:
                    args, _kwargs, _embed = message.decode()
                    received.setdefault(queue, []).append((message.headers["task"], tuple(args)))
        return received

    return read
