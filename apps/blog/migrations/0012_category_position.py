from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0011_post_hero_unthumbnailed_index"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="category",
            options={"ordering": ["position", "name"], "verbose_name_plural": "categories"},
        ),
        migrations.AddField(
            model_name="category",
            name="position",
            field=models.PositiveSmallIntegerField(
                default=0, db_default=0, help_text="Lower comes first in the navigation."
            ),
        ),
    ]
