"""What a restored copy must have kept, as one line of JSON: the row count of
every table, and a checksum of the published posts (the readers' whole site).

    manage.py content_fingerprint [--slug SLUG ...]

Run against the source and against a restored copy, the two answers must be
equal (tests/stack/restore_check.py); --slug also says whether each of those
posts exists.
"""

import hashlib
import json

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db.models import F, TextField, Value
from django.db.models.functions import MD5, Cast, Concat

from apps.blog.models import Post

ROW_FIELDS = ("slug", "title", "excerpt", "body_html", "hero_image", "author_id", "category_id")


class Command(BaseCommand):
    help = "Row counts per table and a checksum of the published posts, as JSON."

    def add_arguments(self, parser):
        parser.add_argument(
            "--slug", action="append", dest="slugs", default=[], help="report whether that post exists"
        )

    def handle(self, *args, slugs, **options):
        fingerprint = {
            "tables": table_counts(),
            "published_posts": published_checksum(),
            "posts_by_slug": {slug: Post.objects.filter(slug=slug).exists() for slug in slugs},
        }
        self.stdout.write(json.dumps(fingerprint, sort_keys=True))


def table_counts():
    return {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def published_checksum():
    """One MD5 per published post computed by PostgreSQL (32 bytes a row reach
    Python, not the bodies), folded in id order."""
    separator = Value("\x1f")
    parts = [Cast("published_at", TextField())]
    for field in ROW_FIELDS:
        parts += [separator, Cast(F(field), TextField())]
    row_md5 = MD5(Concat(*parts, output_field=TextField()))
    rows = Post.objects.published().order_by("pk").annotate(row_md5=row_md5)
    digest = hashlib.sha256()
    count = 0
    for post_id, row_md5 in rows.values_list("pk", "row_md5").iterator(chunk_size=10_000):
        digest.update(f"{post_id}:{row_md5}\n".encode())
        count += 1
    return {"count": count, "sha256": digest.hexdigest()}
