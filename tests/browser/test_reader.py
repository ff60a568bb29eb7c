"""A reader's path through the site in a real browser: the front page, a
story, its category, the older pages and search."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_opens_a_story_from_the_front_page_and_walks_older_pages(page, live_server, published_posts):
    published_posts(45, prefix="harbour")

    page.goto(live_server.url)
    expect(page.locator(".teaser")).to_have_count(20)
    page.locator(".teaser__title a").first.click()
    expect(page.locator("h1")).to_have_text("Harbour post 0")
    expect(page.locator(".post-body")).to_contain_text("Bulk-created story about the harbour.")

    page.goto(live_server.url)
    page.click("a[rel=next]")
    expect(page.locator(".teaser__title").first).to_have_text("Harbour post 20")
    page.click("a[rel=next]")
    expect(page.locator(".teaser")).to_have_count(5)
    expect(page.locator("a[rel=next]")).to_have_count(0)
    page.click("a[rel=prev]")
    expect(page.locator(".teaser__title").first).to_have_text("Harbour post 20")


def test_reader_searches_from_the_header(page, live_server, post_factory):
    post_factory(title="Lighthouse keeper retires", body="The lighthouse was his home for forty years.")
    post_factory(title="Tram depot expands", body="More trams for the east.")

    page.goto(live_server.url)
    page.fill("#search-header", "lighthouse")
    page.press("#search-header", "Enter")

    expect(page).to_have_url(f"{live_server.url}/search/?q=lighthouse")
    expect(page.locator(".teaser")).to_have_count(1)
    expect(page.locator(".teaser mark").first).to_have_text("lighthouse")
