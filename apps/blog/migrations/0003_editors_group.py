"""The Editors group: everything on the blog's content, nothing on users or settings.

Permissions are granted by app label, so a model added to the blog app later
is covered by rerunning grant_blog_permissions in that model's migration.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS_GROUP = "Editors"


def grant_blog_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate);
    # on a fresh database they do not exist yet, so create them now.
    blog_config = apps.get_app_config("blog")
    blog_config.models_module = True
    create_permissions(blog_config, apps=apps, verbosity=0)
    blog_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    editors.permissions.add(*Permission.objects.filter(content_type__app_label="blog"))


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0002_readers_indexes_search"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant_blog_permissions, remove_editors_group),
    ]
