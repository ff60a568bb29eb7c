"""The deployed shape, guarded in CI: one app server killed behind nginx while
readers read, and not one read fails.

Starts `make stack` (reused when up, stopped afterwards when started here).
The long runs (make loadtest, faults, soak) stay in their own targets; this
one reads a hundred-odd pages, a few seconds.
"""

import re
import threading
import urllib.error
import urllib.request

import pytest

from project.services import stack

pytestmark = pytest.mark.stack

READER_THREADS = 4


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


class Readers:
    """Threads reading pages through nginx until told to stop; every outcome is kept."""

    def __init__(self, base_url, paths):
        self.base_url, self.paths = base_url, paths
        self.stop = threading.Event()
        self.outcomes = []
        self.lock = threading.Lock()
        self.reads_done = threading.Condition(self.lock)
        self.threads = [threading.Thread(target=self.read, args=(n,)) for n in range(READER_THREADS)]

    def read(self, number):
        index = number
        while not self.stop.is_set():
            path = self.paths[index % len(self.paths)]
            index += 1
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=30) as response:  # noqa: S310
                    response.read()
                    outcome = (path, response.status)
            except urllib.error.HTTPError as error:
                outcome = (path, error.code)
            except OSError as error:
                outcome = (path, repr(error))
            with self.lock:
                self.outcomes.append(outcome)
                self.reads_done.notify_all()

    def wait_for_more(self, count):
        """Block until count more reads have finished (of any outcome)."""
        with self.lock:
            target = len(self.outcomes) + count
            assert self.reads_done.wait_for(lambda: len(self.outcomes) >= target, timeout=60)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


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
