"""Per-client rate limits in Redis: a fixed window, one INCR and one EXPIRE per budget.

Each budget of a client identity (apps/security/clients.py: an IPv4 address,
or an IPv6 /64 and its /48) gets a counter per window (`<scope>:<network>:<window
number>`) that expires with the window, so an idle client costs nothing and
a flood costs one Redis round trip per request and no SQL. The limiter fails
open: with Redis down, requests are served as if it were not there, like the
cache itself.
"""

import logging
import time
from functools import wraps

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from .clients import client_identity

logger = logging.getLogger(__name__)


def rate_limit_key(scope, network, window_number):
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:ratelimit:{scope}:{network}:{window_number}"


def seconds_until_allowed(scope, identity, limit, window_seconds):
    """Count one request from the ClientIdentity `identity` against each of its
    budgets; None while every one is within its limit per window, else the
    seconds until the window ends. None when Redis cannot answer (fail open)."""
    now = time.time()
    window_number = int(now // window_seconds)
    budgets = identity.budgets(limit)
    try:
        redis_connection = get_redis_connection("default")
    except NotImplementedError:
        return None  # a cache without Redis behind it (the dummy cache of cold-page tests): no limit
    try:
        pipeline = redis_connection.pipeline()
        for network, _limit in budgets:
            key = rate_limit_key(scope, network, window_number)
            pipeline.incr(key)
            pipeline.expire(key, window_seconds, nx=True)
        counts = pipeline.execute()[::2]
    except (RedisError, OSError) as error:
        logger.warning("Rate limit %s not checked, Redis unavailable: %s", scope, error)
        return None
    if all(count <= budget_limit for count, (_network, budget_limit) in zip(counts, budgets, strict=True)):
        return None
    return max(1, int((window_number + 1) * window_seconds - now))


def too_many_requests(retry_after):
    """The 429 a limited client gets: Retry-After, and never stored by a shared cache."""
    response = HttpResponse(
        f"Too many requests from your address; try again in {retry_after} seconds.\n",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(retry_after)
    # Only this client is limited: no shared cache may keep the answer.
    patch_cache_control(response, private=True, no_store=True)
    return response


def rate_limited(scope, limit, window_seconds):
    """A view decorator: more than `limit` requests per window from one client
    (each budget of its identity) get a 429 with Retry-After instead of the view."""

    def decorator(view):
        @wraps(view)
        def limited_view(request, *args, **kwargs):
            retry_after = seconds_until_allowed(scope, client_identity(request), limit, window_seconds)
            if retry_after is None:
                return view(request, *args, **kwargs)
            return too_many_requests(retry_after)

        return limited_view

    return decorator
