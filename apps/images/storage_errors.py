"""What an unreachable or failing object store raises: worth a retry later.

Apart from storage.py so that the modules catching these (thumbnails, tasks,
imported by every web process) do not load boto3 and the S3 backend, about
12 MB per process, before a storage is first used.
"""

from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError


class StorageServerError(Exception):
    """S3 answered 5xx (InternalError, SlowDown, ServiceUnavailable): it may answer later."""


STORAGE_ERRORS = (BotoCoreError, ConnectionError, TimeoutError, StorageServerError)


@contextmanager
def server_errors_as_storage_errors():
    """A 5xx answer becomes a StorageServerError; a 4xx (a missing object, a refused
    key) stays a ClientError, which a retry would not cure."""
    try:
        yield
    except ClientError as error:
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
            raise StorageServerError(str(error)) from error
        raise
