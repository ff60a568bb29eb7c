import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_logs_in_to_the_admin_through_the_form(staff_page):
    assert staff_page.locator("#site-name").is_visible()
    assert staff_page.get_by_role("link", name="Posts").is_visible()
