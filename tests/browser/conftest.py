"""Browser tests: Playwright drives Debian's chromium against live_server.

Playwright's own browser download cannot run here (no network beyond the
package registries), so it launches /usr/bin/chromium from Debian.
"""

import os
import shutil

import pytest

CHROMIUM_PATH = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, chromium reaches for Google's hosts at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def individual_static_files(settings, tmp_path):
    """Pages link css/site.css and js/site.js themselves, which live_server's
    finders serve: the bundles exist only after collectstatic, and a missing
    stylesheet would be a 404 in the console (and an unstyled page). Pipeline
    copies the sources into STATIC_ROOT in this mode: a throwaway one."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.PIPELINE = {**settings.PIPELINE, "PIPELINE_ENABLED": False}


@pytest.fixture
def console_errors(page):
    """Console errors, uncaught exceptions and failed requests of the page, to assert on at the end."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    return errors


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM_PATH):
        pytest.fail("chromium is missing: `make system-packages` installs Debian's package")
    # Playwright's sync API keeps an event loop running in this thread; the
    # test's own ORM calls are ordinary blocking calls, so Django may allow them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def source_static_files(settings, tmp_path):
    """Pages link css/site.css and js/site.js, as in local development: the test
    settings' bundle names (site.min.*) exist only after collectstatic, and a
    browser that gets no stylesheet or script tests neither them nor the CSP.
    Unbundled pipeline copies the sources to STATIC_ROOT while rendering."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.PIPELINE = settings.PIPELINE | {"PIPELINE_ENABLED": False}


@pytest.fixture
def browser_errors():
    """Console errors and uncaught exceptions of the test's page; chromium
    reports every Content-Security-Policy violation as a console error."""
    return []


@pytest.fixture
def page(browser, browser_errors):
    """A fresh page; the test fails if anything it loaded broke the CSP or threw."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    browser_page = context.new_page()

    def on_console(message):
        # The site has no favicon; chromium asks for one on every new page.
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            browser_errors.append(f"{message.text} ({message.location['url']})")

    browser_page.on("console", on_console)
    browser_page.on("pageerror", lambda error: browser_errors.append(str(error)))
    yield browser_page
    context.close()
    assert not browser_errors, "\n".join(browser_errors)


@pytest.fixture
def staff_page(page, live_server, django_user_model):
    """A page logged in to the admin as a superuser, through the real login form."""
    django_user_model.objects.create_superuser("editor", "editor@example.com", "editor-password")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "editor-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page
