"""Failed logins are counted in Redis per account and per client address; past
the limit, even the right password is refused until the window ends, without
a query or a password hash (a brute force costs the database nothing)."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.test import RequestFactory

LOGIN_URL = "/admin/login/"


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 60


@pytest.fixture
def editor(db):
    return User.objects.create_user("editor", password="right-password", is_staff=True)


def log_in(client, username, password, address):
    return client.post(
        LOGIN_URL, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def logged_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_right_password_logs_in(client, editor):
    assert logged_in(log_in(client, "editor", "right-password", "203.0.113.1"))


def test_account_is_throttled_after_failures_from_many_addresses(client, editor):
    for number in range(3):
        log_in(client, "editor", "wrong", f"203.0.113.{number + 1}")
    response = log_in(client, "editor", "right-password", "198.51.100.9")
    assert not logged_in(response)
    assert "Too many failed logins" in response.text


def test_address_is_throttled_after_failures_on_many_accounts(client, editor):
    for number in range(5):
        log_in(client, f"guess{number}", "wrong", "203.0.113.1")
    assert not logged_in(log_in(client, "editor", "right-password", "203.0.113.1"))
    assert logged_in(log_in(client, "editor", "right-password", "198.51.100.9"))


def test_failures_below_the_limit_do_not_lock_and_success_forgets_them(client, editor):
    for _ in range(2):
        log_in(client, "editor", "wrong", "203.0.113.1")
    assert logged_in(log_in(client, "editor", "right-password", "203.0.113.2"))
    client.logout()
    for _ in range(2):
        log_in(client, "editor", "wrong", "203.0.113.3")
    assert logged_in(log_in(client, "editor", "right-password", "203.0.113.4"))


def test_account_names_are_counted_without_regard_to_case(client, editor):
    for spelling in ("editor", "EDITOR", "Editor"):
        log_in(client, spelling, "wrong", "203.0.113.1")
    assert not logged_in(log_in(client, "editor", "right-password", "203.0.113.2"))


def test_failed_login_costs_one_query_and_a_throttled_one_none(editor, django_assert_num_queries):
    request = RequestFactory().post(LOGIN_URL, REMOTE_ADDR="203.0.113.1")
    for _ in range(3):
        with django_assert_num_queries(1):
            assert authenticate(request, username="editor", password="wrong") is None
    with django_assert_num_queries(0):
        assert authenticate(request, username="editor", password="right-password") is None


def test_logins_work_unthrottled_when_the_cache_redis_is_down(client, editor, settings):
    # Nothing listens on port 9 of loopback: a real refused connection.
    settings.CACHES = {"default": settings.CACHES["default"] | {"LOCATION": "redis://127.0.0.1:9/0"}}
    assert not logged_in(log_in(client, "editor", "wrong", "203.0.113.1"))
    assert logged_in(log_in(client, "editor", "right-password", "203.0.113.1"))
