"""What an unreachable or failing object store raises: worth a retry later.

Apart from storage.py so that the modules catching these (thumbnails, tasks,
imported by every web process) do not load boto3 and the S3 backend, about
12 MB per process, before a storage is first used.
"""

from botocore.exceptions import BotoCoreError

STORAGE_ERRORS = (BotoCoreError, ConnectionError, TimeoutError)
