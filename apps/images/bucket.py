"""The media bucket's public face: anyone may read an object by its name,
nobody may list the names; and the app's own key must be the one S3 knows.

Upload names are unguessable (apps.images.uploads), which protects an
unpublished story's images only while anonymous listing is refused. On AWS
that is the bucket policy below (and Block Public Access left on for ACLs);
locally and in docker-compose.yml, SeaweedFS's anonymous identity may read
objects only. `manage.py check_media_bucket` asks the bucket with the app's
key (a wrong key fails in one line, before any upload does) and anonymously
(it fails if the bucket lists).
"""

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

# What S3 means by each refusal of a signed request, in the operator's words.
KEY_REFUSALS = {
    "InvalidAccessKeyId": "S3 knows no such access key",
    "SignatureDoesNotMatch": "the secret key is not the one S3 holds for this access key",
    "AccessDenied": "the key may not use this bucket",
    "Forbidden": "the key may not use this bucket",
}


class BucketAccessError(Exception):
    """The app's key is refused, worded as the one line an operator reads."""


def public_read_policy(bucket_name):
    """The bucket policy: GetObject for everyone on the objects; no List action for anyone."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicReadOfObjectsByNameOnly",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket_name}/*",
            }
        ],
    }


def check_app_key(storage):
    """Raise BucketAccessError unless the storage's own key may list its bucket.

    A connection failure raises botocore's error instead: it says nothing of the key.
    """
    client = storage.connection.meta.client
    try:
        client.list_objects_v2(Bucket=storage.bucket_name, MaxKeys=1)
    except ClientError as refusal:
        code = refusal.response["Error"].get("Code", "")
        if code not in KEY_REFUSALS:
            raise
        raise BucketAccessError(
            f'S3 refuses the key "{storage.access_key}" for the bucket {storage.bucket_name}: {code} '
            f"({KEY_REFUSALS[code]}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ) from None


def anonymous_listing_allowed(storage):
    """True when an unsigned ListObjectsV2 of the storage's bucket succeeds,
    False when S3 refuses it (403); any other failure raises, since it
    proves nothing either way."""
    anonymous = boto3.session.Session().client(
        "s3",
        endpoint_url=storage.endpoint_url,
        region_name=storage.region_name,
        config=Config(
            signature_version=UNSIGNED,
            s3={"addressing_style": "path"},
            connect_timeout=2,
            read_timeout=10,
            retries={"max_attempts": 1},
        ),
    )
    try:
        anonymous.list_objects_v2(Bucket=storage.bucket_name, MaxKeys=1)
    except ClientError as refusal:
        if refusal.response["ResponseMetadata"]["HTTPStatusCode"] == 403:
            return False
        raise
    return True
