"""Who sent a request: the one client identity every limit counts by (login
throttling, the search and beacon limits, the budget of uncached renders), and
whether a browser sent it from one of our own pages.

A client is an IPv4 address (/32), or an IPv6 /64: one host usually holds a
whole /64 and can rotate through it, so counting per /128 would give it 2**64
budgets. An IPv6 client also draws on a coarser budget of its /48 (one site:
a household or an office is given a /48 or a /56), IPV6_SITE_BUDGET_FACTOR
times its own, so a host that rotates through the /64s of its /48 still meets a
limit. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket
reports for an IPv4 peer) is that IPv4 address.
"""

import ipaddress
from dataclasses import dataclass

from django.conf import settings

from apps.core.site_url import site_origin

IPV6_CLIENT_PREFIX = 64
IPV6_SITE_PREFIX = 48
# The /48 budget is this many /64 budgets: a few hosts of one site on distinct
# /64s fit, a host rotating through 65,536 /64s does not.
IPV6_SITE_BUDGET_FACTOR = 4


def parsed_address(text):
    """An IPv4Address or IPv6Address in one spelling (IPv4-mapped IPv6 unwrapped), or None."""
    try:
        address = ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parsed_network(text):
    """An IPv4Network or IPv6Network (IPv4-mapped IPv6 unwrapped), or None when `text` is not one."""
    try:
        network = ipaddress.ip_network(str(text).strip(), strict=False)
    except (TypeError, ValueError):
        return None
    mapped_networks = ipaddress.ip_network("::ffff:0:0/96")
    if network.version == 6 and network.subnet_of(mapped_networks):
        return ipaddress.ip_network(f"{network.network_address.ipv4_mapped}/{network.prefixlen - 96}")
    return network


def _is_trusted_proxy(address):
    return any(
        address.version == network.version and address in network
        for network in map(parsed_network, settings.TRUSTED_PROXIES)
        if network is not None
    )


def client_address(request):
    """REMOTE_ADDR, or behind trusted proxies the right-most X-Forwarded-For entry they did not add.

    Each proxy appends the address it received the request from, so entries
    right of the last untrusted one are our proxies' own, and entries left of
    it are whatever the client wrote. An entry our proxy appended that is not
    an address means a misconfigured proxy: the proxy's own address is used.
    """
    remote_address = parsed_address(request.META.get("REMOTE_ADDR", ""))
    if remote_address is None:
        return request.META.get("REMOTE_ADDR", "")
    if not _is_trusted_proxy(remote_address):
        return str(remote_address)
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed([entry for entry in forwarded_for.split(",") if entry.strip()]):
        hop_address = parsed_address(entry)
        if hop_address is None:
            break
        if not _is_trusted_proxy(hop_address):
            return str(hop_address)
        remote_address = hop_address
    return str(remote_address)


@dataclass(frozen=True)
class ClientIdentity:
    """Who a limit counts: `network` (an IPv4 /32 or an IPv6 /64) and, for
    IPv6, the /48 `site_network` whose coarser budget it shares."""

    network: str
    site_network: str | None = None

    def budgets(self, limit):
        """[(counter name, limit)]: every budget a request of this client draws on."""
        budgets = [(self.network, limit)]
        if self.site_network is not None:
            budgets.append((self.site_network, limit * IPV6_SITE_BUDGET_FACTOR))
        return budgets


def identity_of_address(text):
    """The ClientIdentity of an address as client_address() returns it."""
    address = parsed_address(text)
    if address is None:
        # Not an address (a Unix socket's empty REMOTE_ADDR): every such client is one.
        return ClientIdentity(f"unknown:{str(text)[:64]}")
    if address.version == 4:
        return ClientIdentity(f"{address}/32")
    client_network = ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False)
    site_network = ipaddress.ip_network(f"{address}/{IPV6_SITE_PREFIX}", strict=False)
    return ClientIdentity(str(client_network), str(site_network))


def client_identity(request):
    """The one identity every limit counts `request`'s client by."""
    return identity_of_address(client_address(request))


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
