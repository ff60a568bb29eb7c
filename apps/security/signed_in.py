"""Signed in is proven, never claimed: a signed marker cookie bound to the session.

Any stranger can send `Cookie: sessionid=x`, so the page cache, the fragment
pipeline and the replica router never take the session cookie's presence as
proof. On sign-in the response also carries SIGNED_IN_COOKIE, whose value is a
short hash of the session key signed by the server; is_signed_in() checks it
against the session cookie with no database or cache query.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import signing

SIGNED_IN_COOKIE = "broadsheet_signed_in"
SIGNED_IN_SALT = "broadsheet.signed-in"
# Django's session keys are 32 characters; anything far longer is made up.
LONGEST_SESSION_KEY = 64
LONGEST_MARKER = 200


def session_digest(session_key):
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def is_signed_in(request):
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    marker = request.COOKIES.get(SIGNED_IN_COOKIE, "")
    if not (0 < len(session_key) <= LONGEST_SESSION_KEY and 0 < len(marker) <= LONGEST_MARKER):
        return False
    try:
        signer = signing.TimestampSigner(salt=SIGNED_IN_SALT)
        bound_to = signer.unsign(marker, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return False
    return bound_to == session_digest(session_key)


def set_marker(response, session_key):
    response.set_cookie(
        SIGNED_IN_COOKIE,
        signing.TimestampSigner(salt=SIGNED_IN_SALT).sign(session_digest(session_key)),
        max_age=settings.SESSION_COOKIE_AGE,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )


def holds_signed_in_user(request):
    """Whether the view looked at a session that is signed in (no query: only a loaded session counts)."""
    session = getattr(request, "session", None)
    return bool(session is not None and session.accessed and session.get(SESSION_KEY))


class SignedInMarkerMiddleware:
    """Sets the marker when a user signs in or the key cycles, clears it on logout or flush.

    Sits right after AuthenticationMiddleware. It reads the session only when the
    view already loaded it, so it adds no query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed:
            return response
        session_key = session.session_key
        if session_key and session.get(SESSION_KEY):
            if session.modified or not is_signed_in_with(request, session_key):
                set_marker(response, session_key)
        elif SIGNED_IN_COOKIE in request.COOKIES:
            response.delete_cookie(
                SIGNED_IN_COOKIE,
                path=settings.SESSION_COOKIE_PATH,
                domain=settings.SESSION_COOKIE_DOMAIN,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
        return response


def is_signed_in_with(request, session_key):
    return request.COOKIES.get(settings.SESSION_COOKIE_NAME) == session_key and is_signed_in(request)
