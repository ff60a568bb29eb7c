"""Absolute URLs on the configured SITE_URL, never on the request's Host.

The Host header is the client's to choose (`Host: site:31337` passes
ALLOWED_HOSTS, which ignores ports), so a URL built from it would carry the
client's spelling into canonical links, feeds and cached pages.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.encoding import iri_to_uri


def absolute_url(path):
    """`path` (starting with /) on the site's public origin."""
    return iri_to_uri(f"{settings.SITE_URL}{path}")


def site_scheme():
    return urlsplit(settings.SITE_URL).scheme


def site_domain():
    """host[:port] of SITE_URL, as Django's sitemaps call a domain."""
    return urlsplit(settings.SITE_URL).netloc


def site_origin():
    """scheme://host[:port] of SITE_URL: what a browser sends as Origin from our pages."""
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.scheme}://{parts.netloc}"
