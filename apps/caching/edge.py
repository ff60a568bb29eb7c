"""Layer 0 of the caching pipeline: the edge cache in front of the app servers
(Varnish, project/deploy/default.vcl), and what the app tells it.

Surrogate keys (Varnish's xkey): each public page lists what it shows in an
`xkey` response header, so a change purges exactly the pages that show it.

    post-<id>                    each post on the page: its own page, a teaser,
                                 a neighbour, a related or most-read link
    home, category-<id>,         the list the page is: a post newly published
    tag-<id>, author-<id>,       appears on its lists, which did not show it
    archive-<yyyy>[-<mm>],
    feed, sitemap
    page-<md5 of the path>       the page itself, for the editorial flush, and
                                 a 404 stored at the address a post is then published at

Keys are collected while a page renders: views and templates add them, and a
cached fragment (or row) stores the keys added while it was built beside its
value and adds them again on every hit (pipeline.py), so a warm page names the
same posts as a cold one; the whole response keeps them among its headers.

Purges leave after the commit, one Celery task with retries per edge of
EDGE_PURGE_URLS (apps/caching/tasks.py), so the editor's save never waits for
an edge: a soft purge for a change (the pages go stale and are served in grace
while one fetch refreshes them), a hard one for a retraction, which must never
be served again.
"""

import hashlib
import urllib.request
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction

XKEY_HEADER = "xkey"
# Set by the edge on each of its fetches (project/deploy/default.vcl).
EDGE_FETCH_HEADER = "X-Edge-Fetch"
SOFT_PURGE_HEADER = "xkey-softpurge"
HARD_PURGE_HEADER = "xkey-purge"
PURGE_TIMEOUT_SECONDS = 5


def post_key(post_id):
    return f"post-{post_id}"


def list_key(list_name):
    """The key of a list page from the list's name in the fragment keys ("category:3" -> "category-3")."""
    return list_name.replace(":", "-")


def page_key(path):
    return f"page-{hashlib.md5(path.encode(), usedforsecurity=False).hexdigest()[:16]}"


# ---------------------------------------------------------------- collecting a page's keys


class EdgeKeys:
    """The keys a request's page shows, with a nested set for each entry being built."""

    def __init__(self):
        self.collecting = [set()]

    def add(self, *keys):
        self.collecting[-1].update(keys)

    @contextmanager
    def building(self):
        """Collect the keys added while an entry is built; they count for the page too."""
        built_keys = set()
        self.collecting.append(built_keys)
        try:
            yield built_keys
        finally:
            self.collecting.pop()
            self.collecting[-1].update(built_keys)

    def header_value(self):
        return " ".join(sorted(self.collecting[0]))


def edge_keys(request):
    keys = getattr(request, "edge_keys", None)
    if keys is None:
        keys = request.edge_keys = EdgeKeys()
    return keys


def add_edge_keys(request, *keys):
    edge_keys(request).add(*keys)


def name_keys_on_render(request, response):
    """Once the page is rendered (every fragment has added its keys), list them in `xkey`."""

    def name_keys(rendered_response):
        # A 304 names none: Varnish would merge its headers into the page it keeps.
        if rendered_response.status_code != 200:
            return
        keys = edge_keys(request)
        keys.add(page_key(request.path))
        rendered_response.headers[XKEY_HEADER] = keys.header_value()

    if hasattr(response, "add_post_render_callback"):
        response.add_post_render_callback(name_keys)
    else:
        name_keys(response)


def name_missing_page(request, response):
    """A 404 names only its address: what is published there later purges it."""
    response.headers[XKEY_HEADER] = page_key(request.path)


# ---------------------------------------------------------------- purging


def purges_enabled():
    """Whether any edge is configured (EDGE_PURGE_URLS): without one, nothing is computed for it."""
    return bool(settings.EDGE_PURGE_URLS)


def purge_on_commit(keys_of, *, hard=False):
    """Once the transaction commits, queue a purge of keys_of() for every edge.

    keys_of runs after the commit, so it reads what was committed (the lists a
    post is on now). Robust, like the list version's bump: a broker out of
    reach costs the edges' freshness (pages expire by their s-maxage), never
    the editor's save."""
    if not purges_enabled():
        return

    def queue_purges():
        # Imported here: Celery loads in the processes that queue, on the first purge.
        from .tasks import purge_edge_keys

        keys = sorted(keys_of())
        for edge_url in settings.EDGE_PURGE_URLS:
            purge_edge_keys.delay(edge_url, keys, hard)

    transaction.on_commit(queue_purges, robust=True)


def purge(edge_url, keys, *, hard=False):
    """Send one edge a purge by key; return its answer ("Soft-purged 3"). Raises
    OSError (URLError, HTTPError) when the edge is unreachable or refuses."""
    request = urllib.request.Request(  # noqa: S310 - an operator's http(s) address (project/config.py)
        edge_url,
        method="PURGE",
        headers={HARD_PURGE_HEADER if hard else SOFT_PURGE_HEADER: " ".join(keys)},
    )
    with urllib.request.urlopen(request, timeout=PURGE_TIMEOUT_SECONDS) as response:  # noqa: S310
        return response.read().decode(errors="replace")
