"""The media bucket's public face: anyone may read an object by its name,
nobody may list the names.

Upload names are unguessable (apps.images.uploads), which protects an
unpublished story's images only while anonymous listing is refused. On AWS
that is the bucket policy below (and Block Public Access left on for ACLs);
`manage.py check_media_bucket` asks the bucket anonymously and fails if it
lists. s3rver, the development server, ignores policies and lists to anyone.
"""

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError


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


def anonymous_listing_allowed(storage):
    """True when an unsigned ListObjects of the storage's bucket succeeds,
    False when S3 refuses it (403); any other failure raises, since it
    proves nothing either way.

    ListObjects (v1) because s3rver answers a v2 list with max-keys=1 with
    an internal error.
    """
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
        anonymous.list_objects(Bucket=storage.bucket_name, MaxKeys=1)
    except ClientError as refusal:
        if refusal.response["ResponseMetadata"]["HTTPStatusCode"] == 403:
            return False
        raise
    return True
