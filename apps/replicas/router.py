"""Reads from a replica, writes on the primary, and each client sees its own writes.

ReplicaRouter sends a read to a replica only when all of these hold:
  - a request allowed it (ReadYourWritesMiddleware set `replica_reads`);
  - the primary is not inside a transaction (its reads must see its writes);
  - a replica is usable (apps/replicas/health.py: up, and lagging less than the bound).
Everything else, writes and migrations included, goes to the primary. A
request reads from one replica: the first read picks it and every later read
of the request reuses it, so a session setting made on it (the search's
`SET LOCAL statement_timeout`) holds for the queries after it, with any number
of replicas.

ReadYourWritesMiddleware allows replica reads for GET and HEAD requests that
carry neither a session (signed-in editors, the admin) nor the recent-write
cookie it sets on the response to any request that wrote to the database: for
REPLICA_READ_YOUR_WRITES_SECONDS after that the client reads the primary, so an
editor sees their change at once (even signed out). A POST that writes nothing
(the post page's popularity beacon, which counts in Redis) sets no cookie. The
cookie is signed and expires, so a client cannot pin itself to the primary for
good. Should a read on a replica fail mid-request (the replica died
between two health checks), the replica is marked down and the view runs again
on the primary: readers get their page, not a 500.
"""

import contextvars

from django.conf import settings
from django.core.signing import BadSignature
from django.db import Error as DatabaseDriverError
from django.db import connections

from apps.security.signed_in import is_signed_in

from .health import mark_unusable, replica_for_read, replica_reads

# The router marks the request's holder on every write it routes.
request_writes = contextvars.ContextVar("request_writes", default=None)
# The replica this request reads from, chosen at its first read (RequestReplica).
request_replica = contextvars.ContextVar("request_replica", default=None)
RECENT_WRITE_COOKIE = "broadsheet_wrote"
RECENT_WRITE_SALT = "apps.replicas.router.recent-write"
READ_METHODS = ("GET", "HEAD")


class RequestReplica:
    """The alias one request reads from: None until its first read chooses."""

    alias = None


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not replica_reads.get() or connections["default"].in_atomic_block:
            return "default"
        chosen = request_replica.get()
        if chosen is None:
            return replica_for_read() or "default"
        if chosen.alias is None:
            chosen.alias = replica_for_read() or "default"
        return chosen.alias

    def db_for_write(self, model, **hints):
        writes = request_writes.get()
        if writes is not None:
            writes.append(model)
        return "default"

    def allow_relation(self, first, second, **hints):
        # Every alias holds the same rows: a replica is a copy of the primary.
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"


def wrote_recently(request):
    try:
        request.get_signed_cookie(
            RECENT_WRITE_COOKIE, salt=RECENT_WRITE_SALT, max_age=settings.REPLICA_READ_YOUR_WRITES_SECONDS
        )
    except (KeyError, BadSignature):
        return False
    return True


def may_read_replica(request):
    return request.method in READ_METHODS and not is_signed_in(request) and not wrote_recently(request)


class ReadYourWritesMiddleware:
    """Last in MIDDLEWARE, so that a retry after a replica failure re-runs the view alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        writes = []
        reads_token = replica_reads.set(may_read_replica(request))
        writes_token = request_writes.set(writes)
        replica_token = request_replica.set(RequestReplica())
        try:
            response = self.get_response(request)
        finally:
            replica_reads.reset(reads_token)
            request_writes.reset(writes_token)
            request_replica.reset(replica_token)
        if writes and response.status_code < 500:
            response.set_signed_cookie(
                RECENT_WRITE_COOKIE,
                "1",
                salt=RECENT_WRITE_SALT,
                max_age=settings.REPLICA_READ_YOUR_WRITES_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_exception(self, request, exception):
        # Error, not DatabaseError: a connection the dead server closed raises InterfaceError.
        if not (replica_reads.get() and isinstance(exception, DatabaseDriverError)):
            return None
        failed = [alias for alias in settings.READ_REPLICAS if connections[alias].errors_occurred]
        if not failed:
            return None
        for alias in failed:
            mark_unusable(alias, f"failing ({type(exception).__name__})")
            connections[alias].close_if_unusable_or_obsolete()
        replica_reads.set(False)
        return self.get_response(request)
