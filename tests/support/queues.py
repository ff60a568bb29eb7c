"""The Celery queues of the real Redis broker (the test slot in tests)."""

TASK_QUEUES = ("high", "low")


def purge_task_queues():
    """Drop every message waiting in the project's queues, so a test sees only its own."""
    from project.celery import app as celery_app

    with celery_app.connection_for_write() as connection:
        for queue in TASK_QUEUES:
            connection.default_channel.queue_purge(queue)
