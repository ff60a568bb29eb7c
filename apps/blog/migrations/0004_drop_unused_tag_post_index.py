from django.db import migrations


class Migration(migrations.Migration):
    """EXPLAIN over 30k posts never chose (tag_id, post_id): tag pages probe the
    M2M table by post_id and related posts use the tag_id index. Indexes are not
    free on write, so the unused one goes."""

    dependencies = [
        ("blog", "0003_editors_group"),
    ]

    operations = [
        migrations.RunSQL(
            "DROP INDEX IF EXISTS post_tags_tag_post_idx",
            reverse_sql="CREATE INDEX post_tags_tag_post_idx ON blog_post_tags (tag_id, post_id)",
        ),
    ]
