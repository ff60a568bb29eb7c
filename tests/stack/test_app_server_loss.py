"""The deployed shape, guarded in CI: one app server killed behind nginx while
readers read, and not one read fails.

Starts `make stack` (reused when up, stopped afterwards when started here).
The long runs (make loadtest, faults, soak) stay in their own targets; this
one reads a hundred-odd pages, a few seconds.
"""

import re
import urllib.request

import pytest

from project.services import stack
from tests.support.readers import Readers

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def running_stack():
    """The stack, started for this module unless it was up; stopped again if started here."""
    already_up = all(part.is_up() for part in stack.components().values())
    stack.start()
    yield stack.components()
    if not already_up:
        stack.stop()


def read_pages(base_url):
    with urllib.request.urlopen(base_url + "/", timeout=30) as response:  # noqa: S310 - loopback
        home = response.read().decode()
    posts = sorted(set(re.findall(r'href="(/posts/[a-z0-9-]+/)"', home)))[:5]
    listings = sorted(set(re.findall(r'href="(/(?:category|tag|author)/[a-z0-9-]+/)"', home)))[:5]
    return ["/", "/feeds/atom/", *posts, *listings]


def test_readers_see_no_error_while_an_app_server_is_killed_and_restarted(running_stack):
    app_server = running_stack["app-1"]
    base_url = stack.base_url()
    with Readers(base_url, read_pages(base_url)) as readers:
        readers.wait_for_more(20)
        app_server.kill()
        assert not app_server.is_up()
        readers.wait_for_more(40)
        app_server.start()
        assert app_server.is_up()
        readers.wait_for_more(40)

    failed = [outcome for outcome in readers.outcomes if outcome[1] != 200]
    assert len(readers.outcomes) >= 60
    assert failed == []
