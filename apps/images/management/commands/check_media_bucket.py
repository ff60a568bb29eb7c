import json

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from apps.images.bucket import BucketAccessError, anonymous_listing_allowed, check_app_key, public_read_policy


class Command(BaseCommand):
    help = (
        "Fail in one line if S3 refuses the app's key or if anyone may list the media bucket; "
        "--print-policy shows the policy that prevents the listing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--print-policy", action="store_true", help="Print the bucket policy to apply, and check nothing."
        )

    def handle(self, *args, print_policy=False, **options):
        bucket_name = default_storage.bucket_name
        if print_policy:
            self.stdout.write(json.dumps(public_read_policy(bucket_name), indent=2))
            return
        try:
            check_app_key(default_storage)
            listable = anonymous_listing_allowed(default_storage)
        except BucketAccessError as refusal:
            raise CommandError(str(refusal)) from None
        except (ClientError, BotoCoreError) as error:
            raise CommandError(f"Could not check the media bucket {bucket_name}: {error}") from error
        if listable:
            raise CommandError(
                f"Anyone may list the media bucket {bucket_name}, so unpublished images can be found: "
                "apply the policy from `manage.py check_media_bucket --print-policy`."
            )
        self.stdout.write(
            f"The media bucket {bucket_name} accepts the app's key and refuses anonymous listing."
        )
