"""Login throttling: failed logins counted per account and per client address.

Fixed-window counters in the cache Redis, one per account name (hashed,
case-folded) and one per client identity (apps/security/clients.py: an IPv4
address, or an IPv6 /64 and its /48). Checking
costs one GET of both keys and no SQL, so a throttled attempt never reaches
the database or the password hasher. When Redis is down the counters read as
zero: logins keep working, unthrottled (the cache is never a dependency).
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from redis.exceptions import RedisError

from .clients import client_identity

logger = logging.getLogger(__name__)

# Set on the request by the backend, read by the login form to say why.
LOGIN_THROTTLED_ATTRIBUTE = "login_throttled"


def _failure_keys(request, username):
    account_digest = hashlib.sha256(str(username).casefold().encode()).hexdigest()
    keys = {f"login-failures:account:{account_digest}": settings.LOGIN_FAILURES_PER_ACCOUNT}
    if request is not None:
        for network, limit in client_identity(request).budgets(settings.LOGIN_FAILURES_PER_ADDRESS):
            keys[f"login-failures:address:{network}"] = limit
    return keys


def login_is_throttled(request, username):
    limits = _failure_keys(request, username)
    failures = cache.get_many(list(limits))
    return any(int(failures.get(key, 0)) >= limit for key, limit in limits.items())


def record_login_failure(request, username):
    """One round trip: start each window at 0 if absent, then count this failure."""
    try:
        pipeline = cache.client.get_client(write=True).pipeline(transaction=False)
        for key in _failure_keys(request, username):
            stored_key = cache.make_key(key)
            pipeline.set(stored_key, 0, ex=settings.LOGIN_FAILURE_WINDOW_SECONDS, nx=True)
            pipeline.incr(stored_key)
        pipeline.execute()
    except (RedisError, OSError) as error:
        logger.warning("login failure not counted: %s", type(error).__name__)


def forget_account_failures(username):
    """A successful login clears its account's count, not its address's: one
    known password must not reset an address that is guessing others."""
    account_key = next(iter(_failure_keys(None, username)))
    cache.delete(account_key)


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend, refusing accounts and addresses with too many recent failures."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD, "")
        if login_is_throttled(request, username):
            if request is not None:
                setattr(request, LOGIN_THROTTLED_ATTRIBUTE, True)
            # Stops authenticate() trying other backends; Django sends user_login_failed.
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_login_failure(request, username)
        else:
            forget_account_failures(username)
        return user


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, saying so when the throttle refused the attempt."""

    error_messages = {
        **AuthenticationForm.error_messages,
        **AdminAuthenticationForm.error_messages,
        "throttled": "Too many failed logins for this account or from this address. "
        "Try again in %(minutes)d minutes.",
    }

    def get_invalid_login_error(self):
        if getattr(self.request, LOGIN_THROTTLED_ATTRIBUTE, False):
            return ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_FAILURE_WINDOW_SECONDS // 60},
            )
        return super().get_invalid_login_error()
