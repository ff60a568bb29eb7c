"""PostgreSQL's limits, per kind of process: how long a connection, a statement,
a lock wait and an idle transaction may take (docs/reliability.md, "Timeouts").

A hung primary (a stopped process, a blackholed network, a full disk) or a
runaway query must cost a reader a bounded wait and an error page, never a
gunicorn worker until its kill. The limits travel in libpq's `options`
(`-c name=value`, the startup packet), so they cost no query. Every process
starts with the web's; the processes that legitimately run long ones switch
before their first connection: Celery workers to their task's hard time limit
(project/celery.py), management commands to none (manage.py; migrate sets its
own lock_timeout, apps/core/safe_migrations.py).
"""

from django.conf import settings

SESSION_LIMIT_NAMES = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")


def session_options(limits_ms):
    """libpq's `options` for {limit name: milliseconds}, 0 meaning none."""
    return " ".join(f"-c {name}={limits_ms[name]}" for name in SESSION_LIMIT_NAMES)


def with_limits(database, connect_timeout, limits_ms):
    """The DATABASES entry with a connect timeout and the session limits; what
    its URL set itself wins (its connect_timeout, its own `-c` switches, last)."""
    options = dict(database.get("OPTIONS", {}))
    options.setdefault("connect_timeout", connect_timeout)
    options["options"] = " ".join(filter(None, [session_options(limits_ms), options.get("options")]))
    return {**database, "OPTIONS": options}


def use_limits_of(process_kind):
    """Give this process's future connections the limits of its kind
    (DATABASE_SESSION_LIMITS_MS), before it opens any."""
    from django.db import connections

    web_options = session_options(settings.DATABASE_SESSION_LIMITS_MS["web"])
    kind_options = session_options(settings.DATABASE_SESSION_LIMITS_MS[process_kind])
    for alias in connections:
        options = connections[alias].settings_dict.get("OPTIONS", {})
        # In place of the web's, before the URL's own switches, which still win.
        options["options"] = options.get("options", "").replace(web_options, kind_options, 1)
