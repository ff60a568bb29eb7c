"""Every kind of page, loaded in chromium under its Content-Security-Policy:
the `page` fixture fails the test on any violation or console error."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_readers_pages_load_without_a_policy_violation(page, live_server, post_factory, tag_factory):
    tag = tag_factory(name="Harbour")
    post = post_factory(title="Lighthouse keeper retires", body="The *lighthouse* stays lit.", tags=[tag])
    for path in (
        "/",
        post.get_absolute_url(),
        post.category.get_absolute_url(),
        tag.get_absolute_url(),
        post.author.get_absolute_url(),
        reverse("blog:archive_year", args=[post.published_at.year]),
        "/search/?q=lighthouse",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, path
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        # The site's stylesheet was allowed: the skip link is moved off screen by it.
        expect(page.locator(".skip-link")).not_to_be_in_viewport()


def test_staff_pages_of_the_admin_load_without_a_policy_violation(staff_page, live_server, post_factory):
    post = post_factory()
    for path in (
        "/admin/",
        "/admin/blog/post/",
        "/admin/blog/post/add/",
        f"/admin/blog/post/{post.pk}/change/",
    ):
        response = staff_page.goto(f"{live_server.url}{path}")
        assert response.ok, path
    expect(staff_page.locator("#id_title")).to_have_value(post.title)


def test_an_injected_inline_script_is_blocked_and_reported(page, live_server, browser_errors, db):
    """The check above is not vacuous: chromium refuses an inline script and says so."""
    page.goto(live_server.url)
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "document.body.dataset.injected = 'ran'";
            document.head.appendChild(script);
        }"""
    )
    assert page.evaluate("() => document.body.dataset.injected") is None
    assert any("Content Security Policy" in error for error in browser_errors)
    browser_errors.clear()
