"""A reader moves between the publication's sections from the header, on a
desktop and on a 360 px phone, with no console error."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sections(category_factory, post_factory):
    names = ["News", "Politics", "Business", "Technology", "Science", "Culture", "Sport", "Opinion"]
    categories = [
        category_factory(name=name, slug=name.lower(), position=position)
        for position, name in enumerate(names)
    ]
    for category in categories:
        post_factory(title=f"Latest from {category.name}", category=category)
    return categories


def test_reader_moves_between_sections_from_the_header(page, live_server, sections, console_errors):
    page.goto(live_server.url)
    navigation = page.get_by_role("navigation", name="Sections")
    expect(navigation.get_by_role("link")).to_have_text([category.name for category in sections])
    expect(navigation.locator("[aria-current]")).to_have_count(0)

    navigation.get_by_role("link", name="Science").click()
    expect(page).to_have_url(f"{live_server.url}/category/science/")
    expect(page.locator("h1")).to_have_text("Science")
    expect(navigation.locator("[aria-current=page]")).to_have_text("Science")

    page.get_by_role("link", name="Latest from Science").click()
    expect(page.locator("h1")).to_have_text("Latest from Science")
    expect(navigation.locator("[aria-current=true]")).to_have_text("Science")

    navigation.get_by_role("link", name="Sport").click()
    expect(page.locator("h1")).to_have_text("Sport")
    expect(navigation.locator("[aria-current=page]")).to_have_text("Sport")
    assert console_errors == []


def test_the_sections_fit_a_360_px_phone_without_sideways_scrolling(
    browser, live_server, sections, category_factory, post_factory
):
    # A long name, listed once it has a published post.
    post_factory(category=category_factory(name="Correspondence from abroad", slug="abroad", position=99))
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    phone = context.new_page()
    try:
        for path in ("/", "/category/science/"):
            phone.goto(live_server.url + path)
            navigation = phone.get_by_role("navigation", name="Sections")
            expect(navigation.get_by_role("link")).to_have_count(len(sections) + 1)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 360
            for link in navigation.get_by_role("link").all():
                box = link.bounding_box()
                assert box["x"] >= 0
                assert box["x"] + box["width"] <= 360
    finally:
        context.close()
