"""The Editors group may flush a page's cache and manage the image library.

`blog.flush_cache` is a permission of its own (apps/caching/permissions.py) so
that only editors, not every staff account, can make a page render uncached.
It hangs off the Post content type because permissions need a model.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS_GROUP = "Editors"
FLUSH_CACHE_CODENAME = "flush_cache"


def grant_flush_and_image_permissions(apps, schema_editor):
    # On a fresh database permissions exist only after post_migrate: make the images' now.
    images_config = apps.get_app_config("images")
    images_config.models_module = True
    create_permissions(images_config, apps=apps, verbosity=0)
    images_config.models_module = None

    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    post_type, _ = ContentType.objects.get_or_create(app_label="blog", model="post")
    flush_cache, _ = Permission.objects.get_or_create(
        codename=FLUSH_CACHE_CODENAME,
        content_type=post_type,
        defaults={"name": "Can flush a page's cache (?flush-the-cache)"},
    )
    editors, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    editors.permissions.add(flush_cache, *Permission.objects.filter(content_type__app_label="images"))


def revoke_flush_and_image_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(codename=FLUSH_CACHE_CODENAME, content_type__app_label="blog").delete()
    editors = apps.get_model("auth", "Group").objects.filter(name=EDITORS_GROUP).first()
    if editors:
        editors.permissions.remove(*Permission.objects.filter(content_type__app_label="images"))


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0007_strip_control_characters"),
        ("images", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant_flush_and_image_permissions, revoke_flush_and_image_permissions),
    ]
