"""`manage.py migrate` with a lock_timeout, retried (apps/core/safe_migrations.py).

A DDL statement waiting for its lock (behind a long read, say) holds up every
later query on its table, editors' saves included. With lock_timeout it gives
up after MIGRATION_LOCK_TIMEOUT_MS instead; its migration is rolled back, or
(non-atomic) left to run again, and migrate is retried after a pause, up to
MIGRATION_LOCK_RETRIES times. Django applies migrations it has not recorded,
so each retry resumes at the migration that failed.
"""

from django.conf import settings
from django.core.management.commands import migrate
from django.db import connections

from apps.core.safe_migrations import migration_timeouts, retry_on_lock_timeout


class Command(migrate.Command):
    help = (
        f"{migrate.Command.help} Locks wait at most MIGRATION_LOCK_TIMEOUT_MS, then the migration is retried."
    )

    def handle(self, *args, **options):
        connection = connections[options["database"]]

        def migrate_once():
            with migration_timeouts(connection):
                return super(Command, self).handle(*args, **options)

        def say_retry(attempt, pause, error):
            self.stderr.write(
                f"migrate: a lock was not granted within {settings.MIGRATION_LOCK_TIMEOUT_MS} ms"
                f" ({str(error).strip()}); attempt {attempt + 1} of {settings.MIGRATION_LOCK_RETRIES}"
                f" in {pause:.0f} s"
            )

        return retry_on_lock_timeout(
            migrate_once,
            attempts=settings.MIGRATION_LOCK_RETRIES,
            pause_seconds=settings.MIGRATION_LOCK_RETRY_PAUSE_SECONDS,
            on_retry=say_retry,
        )
