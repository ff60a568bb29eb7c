# The Celery app lives in project/celery.py: `celery -A project` finds it there,
# and the task modules import it, so a web process loads Celery and kombu
# (about 8 MB) only when it first queues a task, not at start-up.
