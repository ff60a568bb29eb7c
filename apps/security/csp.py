"""Content-Security-Policy on every response (Django 5.2 has none built in).

Readers' pages allow scripts and styles from this origin and the static
origin only: the templates carry no inline <script>, <style>, style= or on*=
(tests/security/test_csp.py checks them), so an injected tag or handler does not
run. Images may also come from the media origin (S3 endpoint or custom
domain). The admin's own Django templates contain an inline <style> and its
select2 widgets write style attributes: under /admin/ inline styles are
allowed, inline scripts still are not. Staff are the only readers there, and
a style cannot run code.
"""

from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse


def _origin(url):
    """The scheme://host[:port] of an absolute URL; None for a path on this site."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


@lru_cache(maxsize=8)
def _policy(static_url, media_url, admin):
    static_origins = [origin for origin in [_origin(static_url)] if origin]
    media_origins = [origin for origin in [_origin(media_url)] if origin]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *static_origins],
        "style-src": ["'self'", *static_origins, *(["'unsafe-inline'"] if admin else [])],
        "img-src": ["'self'", "data:", *dict.fromkeys(media_origins + static_origins)],
        "font-src": ["'self'", *static_origins],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = reverse("admin:index")

    def __call__(self, request):
        response = self.get_response(request)
        admin = request.path.startswith(self.admin_prefix)
        response.headers.setdefault(
            "Content-Security-Policy", _policy(settings.STATIC_URL, settings.MEDIA_URL, admin)
        )
        return response
