"""Who sent a request: the address that rate limits and login throttling count by,
and whether a browser sent it from one of our own pages."""

import ipaddress

from django.conf import settings

from apps.core.site_url import site_origin


def _parsed_address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted_proxy(address):
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in settings.TRUSTED_PROXIES)


def client_address(request):
    """REMOTE_ADDR, or behind trusted proxies the right-most X-Forwarded-For entry they did not add.

    Each proxy appends the address it received the request from, so entries
    right of the last untrusted one are our proxies' own, and entries left of
    it are whatever the client wrote. An entry our proxy appended that is not
    an address means a misconfigured proxy: the proxy's own address is used.
    """
    remote_address = _parsed_address(request.META.get("REMOTE_ADDR", ""))
    if remote_address is None:
        return request.META.get("REMOTE_ADDR", "")
    if not _is_trusted_proxy(remote_address):
        return str(remote_address)
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed([entry for entry in forwarded_for.split(",") if entry.strip()]):
        hop_address = _parsed_address(entry)
        if hop_address is None:
            break
        if not _is_trusted_proxy(hop_address):
            return str(hop_address)
        remote_address = hop_address
    return str(remote_address)


def is_same_origin(request):
    """True when the browser says the request comes from a page of this site.

    Browsers send Sec-Fetch-Site with every request (Chrome 76, Firefox 90,
    Safari 16.4) and a page cannot forge it; older ones send Origin with a
    POST. A request with neither did not come from a browser on our page.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin == site_origin()
