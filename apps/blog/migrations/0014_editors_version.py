from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0013_post_body_images"),
    ]

    operations = [
        migrations.AddField(
            model_name="author",
            name="version",
            field=models.IntegerField(db_default=1, default=1, editable=False),
        ),
        migrations.AddField(
            model_name="category",
            name="version",
            field=models.IntegerField(db_default=1, default=1, editable=False),
        ),
        migrations.AddField(
            model_name="post",
            name="version",
            field=models.IntegerField(db_default=1, default=1, editable=False),
        ),
        migrations.AddField(
            model_name="tag",
            name="version",
            field=models.IntegerField(db_default=1, default=1, editable=False),
        ),
    ]
