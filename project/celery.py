import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.local")

app = Celery("broadsheet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_process_init.connect
def use_task_database_limits(**kwargs):
    """A worker's statements may run as long as a task may (project/database_limits.py);
    in each pool process as it starts, before its first connection."""
    from project.database_limits import use_limits_of

    use_limits_of("task")
