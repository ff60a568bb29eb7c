import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

LOCAL_ADMIN_USERNAME = "admin"
LOCAL_ADMIN_PASSWORD = "admin"  # noqa: S105 - local development only, refused under DEBUG=False


class Command(BaseCommand):
    help = "Create the local development admin account if it is missing, and print its login."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("ensure_local_admin creates a well-known password: local settings only.")
        user_model = get_user_model()
        admin_user, created = user_model.objects.get_or_create(
            username=LOCAL_ADMIN_USERNAME,
            defaults={"is_staff": True, "is_superuser": True, "email": "admin@localhost"},
        )
        if created:
            admin_user.set_password(LOCAL_ADMIN_PASSWORD)
            admin_user.save(update_fields=["password"])
        state = "created" if created else "exists"
        address = os.environ.get("BROADSHEET_RUN_ADDRESS", "127.0.0.1:8000")
        self.stdout.write(
            f"Local admin ({state}): http://{address}/admin/ "
            f"user {LOCAL_ADMIN_USERNAME!r}, password {LOCAL_ADMIN_PASSWORD!r}"
        )
