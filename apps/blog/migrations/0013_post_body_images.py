import importlib

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

editors_group = importlib.import_module("apps.blog.migrations.0003_editors_group")


def grant_editors_the_image_library_view(apps, schema_editor):
    """Editors pick body images from the library's list: they need to see it.
    The blog's permissions are granted again for the new PostBodyImage."""
    editors_group.grant_blog_permissions(apps, schema_editor)
    images_config = apps.get_app_config("images")
    images_config.models_module = True
    create_permissions(images_config, apps=apps, verbosity=0)
    images_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.get(name=editors_group.EDITORS_GROUP)
    editors.permissions.add(
        Permission.objects.get(content_type__app_label="images", codename="view_libraryimage")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0012_category_position"),
        ("images", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="PostBodyImage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "image",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="post_bodies",
                        to="images.libraryimage",
                    ),
                ),
                (
                    "post",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="body_images", to="blog.post"
                    ),
                ),
            ],
            options={
                "verbose_name": "story showing it",
                "constraints": [models.UniqueConstraint(fields=("post", "image"), name="post_body_image_unique")],
            },
        ),
        migrations.RunPython(grant_editors_the_image_library_view, migrations.RunPython.noop),
    ]
