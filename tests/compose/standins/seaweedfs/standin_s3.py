"""Stand-in for chrislusf/seaweedfs in `make compose-test`: moto's S3 server
enforcing the SeaweedFS identities file that docker-compose.yml gives the real
server (-s3.config=...), translated into IAM users and policies.

What it mirrors of SeaweedFS: requests signed with an unknown key or a wrong
secret are refused; each identity may do only its actions ("Read", "Write",
"List", "Admin", optionally scoped to one bucket as "Read:bucket"); unsigned
requests act as the identity named "anonymous" (refused if there is none);
GET /healthz answers 200. It is not SeaweedFS: its storage, its S3 edge cases
and its own reading of the identities file are not proven by it.
"""

import json
import os
import sys
from pathlib import Path

os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"  # enforce IAM from the first request

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

REGION = "us-east-1"
# SeaweedFS's action names, and the permissions (as moto names them) each one
# grants on a bucket's objects and on the bucket itself: SeaweedFS authorises
# HEAD bucket as "Read", and only "List" lists.
ACTIONS = {
    "Read": (["s3:GetObject", "s3:GetObjectVersion"], ["s3:HeadBucket"]),
    "Write": (["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"], []),
    "Tagging": (["s3:GetObjectTagging", "s3:PutObjectTagging", "s3:DeleteObjectTagging"], []),
    "List": ([], ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"]),
}


def policy_for(actions):
    statements = []
    for action in actions:
        name, _, bucket = action.partition(":")
        if name == "Admin":
            statements.append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
            continue
        if name not in ACTIONS:
            sys.exit(f"stand-in S3: unknown SeaweedFS action {action!r}")
        on_objects, on_bucket = ACTIONS[name]
        for permissions, resource in [(on_objects, f"{bucket or '*'}/*"), (on_bucket, bucket or "*")]:
            if permissions:
                resource_arn = f"arn:aws:s3:::{resource}"
                statements.append({"Effect": "Allow", "Action": permissions, "Resource": resource_arn})
    return {"Version": "2012-10-17", "Statement": statements}


def load_identities(path):
    """Create one IAM user per identity; return the anonymous identity's credentials, if any."""
    iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    anonymous = None
    for identity in json.loads(Path(path).read_text())["identities"]:
        iam.create_user(REGION, identity["name"])
        if identity.get("actions"):
            iam.put_user_policy(
                identity["name"], "seaweedfs-actions", json.dumps(policy_for(identity["actions"]))
            )
        credentials = identity.get("credentials", [])
        if identity["name"] == "anonymous":
            credentials = [{"accessKey": "STANDINANONYMOUS0000", "secretKey": os.urandom(20).hex()}]
        for credential in credentials:
            key = iam.create_access_key(identity["name"])
            key.access_key_id = credential["accessKey"]
            key.secret_access_key = credential["secretKey"]
        if identity["name"] == "anonymous":
            anonymous = Credentials(credentials[0]["accessKey"], credentials[0]["secretKey"])
    return anonymous


def is_signed(environ):
    return "HTTP_AUTHORIZATION" in environ or "X-Amz-Signature" in environ.get("QUERY_STRING", "")


def stand_in_app(moto_app, anonymous):
    def app(environ, start_response):
        if environ["PATH_INFO"] in ("/healthz", "/status") and environ["REQUEST_METHOD"] == "GET":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"OK"]
        if not is_signed(environ):
            if anonymous is None:
                start_response("403 Forbidden", [("Content-Type", "application/xml")])
                return [b"<Error><Code>AccessDenied</Code></Error>"]
            # An unsigned request is the anonymous identity's: sign it with its key
            # so that moto checks exactly that identity's permissions.
            query = environ.get("QUERY_STRING")
            url = f"http://{environ['HTTP_HOST']}{environ.get('RAW_URI') or environ['PATH_INFO']}"
            if query and "?" not in url:
                url += "?" + query
            request = AWSRequest(
                method=environ["REQUEST_METHOD"], url=url, headers={"Host": environ["HTTP_HOST"]}
            )
            S3SigV4Auth(anonymous, "s3", REGION).add_auth(request)
            for header in ("Authorization", "X-Amz-Date", "X-Amz-Content-SHA256"):
                environ["HTTP_" + header.upper().replace("-", "_")] = request.headers[header]
        return moto_app(environ, start_response)

    return app


def main(argv):
    options = dict(arg.lstrip("-").split("=", 1) for arg in argv if "=" in arg)
    if "s3" not in [arg.lstrip("-") for arg in argv] or "s3.config" not in options:
        sys.exit("stand-in S3: expected SeaweedFS's `server -s3 -s3.port=N -s3.config=FILE`")
    anonymous = load_identities(options["s3.config"])
    moto_app = DomainDispatcherApplication(create_backend_app)
    port = int(options.get("s3.port", 8333))
    # Every interface of its container, like the real server.
    run_simple("0.0.0.0", port, stand_in_app(moto_app, anonymous), threaded=True)  # noqa: S104


if __name__ == "__main__":
    main(sys.argv[2:] if sys.argv[1:2] == ["server"] else sys.argv[1:])
