"""Driving the Django admin's widgets in a real browser (Playwright)."""


def choose_in_autocomplete(page, field_name, text):
    """Django's autocomplete_fields widget (select2): open, type, pick the match."""
    page.click(f"#id_{field_name} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option:has-text('{text}')")


def fill_in_a_post_published_now(page, title, author_name, category_name):
    """On the post add form: type the title (the slug follows), pick the author and
    the section, and set the status to published as of now with the date shortcuts."""
    page.locator("#id_title").press_sequentially(title)
    choose_in_autocomplete(page, "author", author_name)
    choose_in_autocomplete(page, "category", category_name)
    page.select_option("#id_status", "published")
    page.click("#id_published_at_0 ~ .datetimeshortcuts a:has-text('Today')")
    page.click("#id_published_at_1 ~ .datetimeshortcuts a:has-text('Now')")
