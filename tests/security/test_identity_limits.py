"""Every limit counts the one client identity of apps/security/clients.py: the
login throttle, the search limit and the beacon limit alike. An IPv6 host
rotating through its /64 is one client; one rotating through the /64s of its
/48 meets the /48's budget; an IPv4-mapped address is its IPv4 address."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from apps.blog import popularity, views
from apps.security import ratelimit
from apps.security.clients import IPV6_SITE_BUDGET_FACTOR

LOGIN_URL = "/admin/login/"
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def in_one_64(number):
    return f"2001:db8:aa:bb::{number + 1:x}"


def in_distinct_64s_of_one_48(number):
    return f"2001:db8:aa:{number + 1:x}::1"


@pytest.fixture
def editor(db, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 100
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    return User.objects.create_user("editor", password="right-password", is_staff=True)


def log_in(client, username, password, address):
    response = client.post(
        LOGIN_URL, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )
    client.logout()
    return response.status_code == 302


@pytest.mark.parametrize(
    ("failing_addresses", "failures", "locked_out", "still_in"),
    [
        pytest.param(in_one_64, 5, "2001:db8:aa:bb::ffff", "2001:db8:aa:cc::1", id="one-64"),
        pytest.param(
            in_distinct_64s_of_one_48,
            5 * IPV6_SITE_BUDGET_FACTOR,
            "2001:db8:aa:ffff::1",
            "2001:db8:ab::1",
            id="the-64s-of-one-48",
        ),
        pytest.param(lambda number: "::ffff:203.0.113.9", 5, "203.0.113.9", "203.0.113.10", id="ipv4-mapped"),
    ],
)
def test_login_failures_count_by_the_client_identity(
    client, editor, failing_addresses, failures, locked_out, still_in
):
    for number in range(failures):
        assert not log_in(client, f"guess{number}", "wrong", failing_addresses(number))
    assert not log_in(client, "editor", "right-password", locked_out)
    assert log_in(client, "editor", "right-password", still_in)


@pytest.fixture
def frozen_rate_limit_clock(monkeypatch):
    """30 seconds into a rate-limit window, for the whole test: no window ends mid-flood."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 60 * 28_333_333 + 30.0))


def search_status(client, address, number=0):
    """A search no other request asked (a stored page would be served before the limit)."""
    return client.get(reverse("blog:search"), {"q": f"harbour{number}"}, REMOTE_ADDR=address).status_code


@pytest.mark.parametrize(
    ("addresses", "budget", "limited", "free"),
    [
        pytest.param(in_one_64, 1, "2001:db8:aa:bb::ffff", "2001:db8:aa:cc::1", id="one-64"),
        pytest.param(
            in_distinct_64s_of_one_48,
            IPV6_SITE_BUDGET_FACTOR,
            "2001:db8:aa:ffff::1",
            "2001:db8:ab::1",
            id="the-64s-of-one-48",
        ),
        pytest.param(lambda number: "::ffff:203.0.113.9", 1, "203.0.113.9", "203.0.113.10", id="ipv4-mapped"),
    ],
)
def test_searches_count_by_the_client_identity(
    client, db, frozen_rate_limit_clock, addresses, budget, limited, free
):
    requests = views.SEARCH_RATE_LIMIT * budget
    statuses = [search_status(client, addresses(number), number) for number in range(requests)]
    assert statuses == [200] * requests
    assert search_status(client, limited, requests) == 429
    assert search_status(client, free, requests + 1) == 200


def beacon_status(client, address):
    return client.post(
        reverse("blog:post_read", args=[1]), headers=SAME_ORIGIN, REMOTE_ADDR=address
    ).status_code


@pytest.mark.parametrize(
    ("addresses", "budget", "limited", "free"),
    [
        pytest.param(in_one_64, 1, "2001:db8:aa:bb::ffff", "2001:db8:aa:cc::1", id="one-64"),
        pytest.param(
            in_distinct_64s_of_one_48,
            IPV6_SITE_BUDGET_FACTOR,
            "2001:db8:aa:ffff::1",
            "2001:db8:ab::1",
            id="the-64s-of-one-48",
        ),
        pytest.param(lambda number: "::ffff:203.0.113.9", 1, "203.0.113.9", "203.0.113.10", id="ipv4-mapped"),
    ],
)
def test_beacons_count_by_the_client_identity(client, addresses, budget, limited, free):
    beacons = popularity.BEACONS_PER_WINDOW * budget
    assert [beacon_status(client, addresses(number)) for number in range(beacons)] == [204] * beacons
    assert beacon_status(client, limited) == 429
    assert beacon_status(client, free) == 204
