"""client_address(): the address rate limits and login throttling count by.

X-Forwarded-For is written by whoever sends the request, so only the entries
added by our own proxies can be believed: the right-most address that is not
one of TRUSTED_PROXIES, and only when the request came from a trusted proxy."""

import pytest
from django.test import RequestFactory

from apps.security.clients import IPV6_SITE_BUDGET_FACTOR, ClientIdentity, client_address, client_identity

PROXY = "10.0.0.5"


def request_from(remote_addr, forwarded_for=None):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **headers)


@pytest.fixture(autouse=True)
def trusted_proxies(settings):
    settings.TRUSTED_PROXIES = [PROXY, "10.1.0.0/16"]


def test_direct_client_is_its_remote_address():
    assert client_address(request_from("203.0.113.7")) == "203.0.113.7"


def test_forwarded_for_from_an_untrusted_peer_is_ignored():
    """Anyone can send the header: a direct client cannot pick its own address."""
    assert client_address(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_address_it_appended_is_used():
    assert client_address(request_from(PROXY, "198.51.100.1")) == "198.51.100.1"


def test_addresses_a_client_puts_in_front_are_not_believed():
    """The client sends `X-Forwarded-For: 1.2.3.4`; our proxy appends the real peer."""
    assert client_address(request_from(PROXY, "1.2.3.4, 198.51.100.1")) == "198.51.100.1"


def test_trusted_hops_are_skipped_from_the_right():
    request = request_from(PROXY, "1.2.3.4, 198.51.100.1, 10.1.4.4")
    assert client_address(request) == "198.51.100.1"


def test_trusted_proxy_without_the_header_is_the_client():
    assert client_address(request_from(PROXY)) == PROXY


def test_garbage_appended_entry_falls_back_to_the_proxy_address():
    assert client_address(request_from(PROXY, "1.2.3.4, not-an-address")) == PROXY


def test_addresses_are_returned_in_one_spelling():
    assert client_address(request_from(PROXY, "2001:DB8::0:1")) == "2001:db8::1"


def test_no_trusted_proxies_means_the_header_is_never_read(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(request_from(PROXY, "198.51.100.1")) == PROXY


def identity_from(remote_addr, forwarded_for=None):
    return client_identity(request_from(remote_addr, forwarded_for))


def test_an_ipv4_client_is_its_address_with_one_budget():
    identity = identity_from("203.0.113.7")
    assert identity == ClientIdentity("203.0.113.7/32")
    assert identity.budgets(20) == [("203.0.113.7/32", 20)]


def test_an_ipv4_mapped_ipv6_client_is_its_ipv4_address():
    """A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d: one reader, not one /64 for all."""
    assert identity_from("::ffff:203.0.113.7") == identity_from("203.0.113.7")
    assert identity_from(PROXY, "::ffff:198.51.100.1") == ClientIdentity("198.51.100.1/32")
    assert identity_from("::ffff:203.0.113.7") != identity_from("::ffff:203.0.113.8")


def test_a_mapped_proxy_address_is_trusted_as_its_ipv4_address():
    assert identity_from(f"::ffff:{PROXY}", "198.51.100.1") == ClientIdentity("198.51.100.1/32")


def test_an_ipv6_client_is_its_64_and_shares_a_coarser_budget_of_its_48():
    identity = identity_from("2001:db8:aa:bb:1:2:3:4")
    assert identity == ClientIdentity("2001:db8:aa:bb::/64", "2001:db8:aa::/48")
    assert identity.budgets(20) == [
        ("2001:db8:aa:bb::/64", 20),
        ("2001:db8:aa::/48", 20 * IPV6_SITE_BUDGET_FACTOR),
    ]


def test_rotating_within_a_64_keeps_the_identity_and_another_64_shares_only_the_48():
    first = identity_from("2001:db8:aa:bb::1")
    assert identity_from("2001:db8:aa:bb:ffff:ffff:ffff:ffff") == first
    other_network = identity_from(PROXY, "2001:db8:aa:cc::1")
    assert other_network.network != first.network
    assert other_network.site_network == first.site_network
    assert identity_from("2001:db8:ab::1").site_network != first.site_network


def test_a_forged_forwarded_for_does_not_choose_the_identity():
    assert identity_from("203.0.113.7", "2001:db8::1") == ClientIdentity("203.0.113.7/32")
    assert identity_from(PROXY, "2001:db8::1, 198.51.100.1") == ClientIdentity("198.51.100.1/32")


def test_a_remote_address_that_is_no_address_is_one_client():
    assert identity_from("") == identity_from("")
    assert identity_from("").site_network is None
