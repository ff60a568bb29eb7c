"""Copy deleted images back from the mirror bucket (apps/images/mirror.py).

manage.py restore_media posts/ab/cd/name.jpg ...   those objects
manage.py restore_media --referenced               every object a row references
                                                   that the media bucket lacks
                                                   (after a wipe, or a database restore)
"""

from django.core.management.base import BaseCommand, CommandError

from apps.images import cleanup, mirror


class Command(BaseCommand):
    help = "Copy images back from the mirror bucket into the media bucket (only those it lacks)."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="object names, as stored in the image fields")
        parser.add_argument(
            "--referenced", action="store_true", help="every object a row references and the bucket lacks"
        )
        parser.add_argument(
            "--prefix",
            action="append",
            dest="prefixes",
            help="with --referenced: where to look (repeatable); default the upload prefixes",
        )

    def handle(self, *args, names, referenced, prefixes, **options):
        if mirror.mirror_bucket() is None:
            raise CommandError("no mirror bucket is configured (AWS_MEDIA_MIRROR_BUCKET_NAME)")
        if not names and not referenced:
            raise CommandError("name the objects to restore, or pass --referenced")
        if referenced:
            names = sorted(set(names) | cleanup.referenced_names())
            restored = mirror.restore_from_mirror(names, prefixes=prefixes or cleanup.upload_prefixes())
        else:
            restored = mirror.restore_from_mirror(names)
        for name in restored:
            self.stdout.write(f"restored {name}")
        self.stdout.write(
            f"{len(restored)} restored; {len(names) - len(restored)} present already or not in the mirror"
        )
