"""Readers and editors of Broadsheet in one run, against the stack's nginx.

Readers walk the site as people do: the home page and its rel=next pages a few
deep, posts (and their read beacon), category, tag and author pages, search
and feeds. Editors log in to the admin, create posts with a hero image, edit
them, publish one and publish several at once.

Locust's statistics have no timeline and no record of what an editor was told,
so every request goes to LOAD_REQUEST_LOG (one CSV line each) and every editor
save to LOAD_SAVES_LOG (one JSON line each, acknowledged or not): the
scenarios in tests/stack/ turn both into figures and compare the saves with
the database.
"""

import csv
import json
import os
import random
import re
import threading
import time
import uuid
from urllib.parse import urljoin

from locust import FastHttpUser, HttpUser, between, events, task

from tests.support.photos import photo_bytes

READ_PAGES_DEEP = 3
SEARCH_WORDS = ["harbour", "council", "school", "election", "budget", "library", "festival", "river"]
HERO_IMAGE = photo_bytes((1200, 675), "JPEG")
LINK_PATTERNS = {
    "post": re.compile(r'href="(/posts/[a-z0-9-]+/)"'),
    "category": re.compile(r'href="(/category/[a-z0-9-]+/)"'),
    "tag": re.compile(r'href="(/tag/[a-z0-9-]+/)"'),
    "author": re.compile(r'href="(/author/[a-z0-9-]+/)"'),
}
NEXT_PAGE = re.compile(r'rel="next" href="([^"]+)"')
READ_BEACON = re.compile(r'data-read-beacon="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The version a change form was opened at (apps/blog/edit_conflicts.py), sent back with the save.
OPENED_INPUTS = re.compile(r'name="(opened_version|opened_at)" value="([^"]*)"')
CHANGE_URL = re.compile(r"/admin/blog/post/(\d+)/change/")

# Links the readers of this process have seen, shared so that all of them reach deep pages.
known_links = {kind: set() for kind in LINK_PATTERNS}
log_lock = threading.Lock()


class LineLog:
    """Appends lines to a file named by an environment variable (nothing when unset)."""

    def __init__(self, variable):
        path = os.environ.get(variable)
        self.file = open(path, "a", buffering=1, newline="") if path else None  # noqa: SIM115 - open for the run

    def write(self, line):
        if self.file is not None:
            with log_lock:
                self.file.write(line + "\n")


request_log = LineLog("LOAD_REQUEST_LOG")
saves_log = LineLog("LOAD_SAVES_LOG")


@events.request.add_listener
def log_request(request_type, name, response_time, response, exception, context, start_time=None, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    row = [f"{time.time():.3f}", context.get("kind", "-"), request_type, name, status, f"{response_time:.1f}"]
    row.append("ok" if exception is None else "error")
    with log_lock:
        if request_log.file is not None:
            csv.writer(request_log.file).writerow(row)


def remember_links(html):
    for kind, pattern in LINK_PATTERNS.items():
        known_links[kind].update(pattern.findall(html))


class Reader(FastHttpUser):
    wait_time = between(0.3, 1.2)
    weight = 10

    def context(self):
        return {"kind": "reader"}

    def on_start(self):
        # Each simulated reader is a client of its own: nginx appends the
        # load generator's address, and the app (trusting nginx) counts this
        # one for its per-client limits (search, the read beacon).
        address = ".".join(str(random.randrange(1, 255)) for _ in range(3))
        self.client_headers = {"X-Forwarded-For": f"10.{address}"}
        self.read_list("/", "/", pages=1)

    def read_page(self, path, name):
        """The page's HTML, its links remembered; None when it failed (Locust counts the failure)."""
        page = self.client.get(path, name=name, headers=self.client_headers)
        if page.status_code != 200:
            return None
        remember_links(page.text)
        return page.text

    def read_list(self, path, name, pages):
        """A list page and, following rel=next, the pages after it."""
        for depth in range(pages):
            html = self.read_page(path, name if depth == 0 else f"{name} rel=next")
            next_page = NEXT_PAGE.search(html or "")
            if next_page is None:
                return
            path = urljoin(path, next_page.group(1).replace("&amp;", "&"))

    @task(3)
    def home_and_older_pages(self):
        self.read_list("/", "/", pages=READ_PAGES_DEEP)

    @task(4)
    def post_and_its_beacon(self):
        if not known_links["post"]:
            return
        html = self.read_page(random.choice(sorted(known_links["post"])), "/posts/[slug]/")
        beacon = READ_BEACON.search(html or "")
        if beacon:
            # As a browser sends it from the post page (the beacon refuses other origins).
            headers = {**self.client_headers, "Sec-Fetch-Site": "same-origin"}
            self.client.post(beacon.group(1), name="/posts/[id]/read/", headers=headers)

    @task(3)
    def category_tag_or_author(self):
        kind = random.choice(["category", "tag", "author"])
        if known_links[kind]:
            self.read_list(random.choice(sorted(known_links[kind])), f"/{kind}/[slug]/", pages=2)

    @task(1)
    def search(self):
        self.client.get(
            f"/search/?q={random.choice(SEARCH_WORDS)}", name="/search/?q=[word]", headers=self.client_headers
        )

    @task(1)
    def feed(self):
        self.client.get(random.choice(["/feeds/atom/", "/feeds/rss/"]), headers=self.client_headers)


class Editor(HttpUser):
    """An editor in the admin; every save is logged with what the server answered."""

    wait_time = between(1, 3)
    fixed_count = int(os.environ.get("LOAD_EDITORS", "2"))

    def context(self):
        return {"kind": "editor"}

    def on_start(self):
        self.drafts = {}  # pk -> the form fields last acknowledged, for the editor's unpublished posts
        self.logged_in = False

    def log_in(self):
        """Log in and find an author and a category to write with; False to try again next task."""
        login = self.client.get("/admin/login/", name="/admin/login/")
        response = self.client.post(
            "/admin/login/",
            data={
                "username": os.environ["LOAD_EDITOR_USERNAME"],
                "password": os.environ["LOAD_EDITOR_PASSWORD"],
                "next": "/admin/",
                "csrfmiddlewaretoken": csrf_token(login.text),
            },
            name="/admin/login/",
            allow_redirects=False,
        )
        authors = self.client.get("/admin/blog/author/", name="/admin/blog/author/")
        categories = self.client.get("/admin/blog/category/", name="/admin/blog/category/")
        self.author_id, self.category_id = first_change_id(authors.text), first_change_id(categories.text)
        self.logged_in = response.status_code == 302 and None not in (self.author_id, self.category_id)
        return self.logged_in

    def form_token(self, path, name):
        """The form's CSRF token, logging in first if needed; None when the page failed."""
        opened_form = self.open_form(path, name)
        return None if opened_form is None else opened_form["csrfmiddlewaretoken"]

    def open_form(self, path, name):
        """The form's CSRF token and the version it was opened at; None when the page failed."""
        if not self.logged_in and not self.log_in():
            return None
        page = self.client.get(path, name=name)
        if page.status_code != 200:
            return None
        return {"csrfmiddlewaretoken": csrf_token(page.text), **dict(OPENED_INPUTS.findall(page.text))}

    @task(3)
    def create_post_with_hero_image(self):
        token = self.form_token("/admin/blog/post/add/", "/admin/blog/post/add/")
        if token is None:
            return
        marker = f"load-{uuid.uuid4().hex[:16]}"
        fields = {
            "title": f"Load {marker}",
            "slug": marker,
            "author": self.author_id,
            "category": self.category_id,
            "status": "draft",
            "published_at_0": "",
            "published_at_1": "",
            "excerpt": f"created {marker}",
            "body": f"Written under load by {marker}.\n\nA second paragraph.",
            "hero_image_alt": "A load test photo",
        }
        saves_log.write(json.dumps({"kind": "create", "marker": marker, "event": "sent", "t": time.time()}))
        response = self.client.post(
            "/admin/blog/post/add/",
            data={**fields, "csrfmiddlewaretoken": token, "_continue": "Save and continue editing"},
            files={"hero_image": (f"{marker}.jpg", HERO_IMAGE, "image/jpeg")},
            name="/admin/blog/post/add/ (save)",
            allow_redirects=False,
        )
        created = (
            CHANGE_URL.search(response.headers.get("Location", "")) if response.status_code == 302 else None
        )
        if created:
            self.drafts[int(created.group(1))] = fields
        saves_log.write(
            json.dumps(
                {
                    "kind": "create",
                    "marker": marker,
                    "event": "acknowledged" if created else "refused",
                    "status": response.status_code,
                    "pk": int(created.group(1)) if created else None,
                    "t": time.time(),
                }
            )
        )

    @task(3)
    def edit_draft(self):
        if not self.drafts:
            return
        pk = random.choice(sorted(self.drafts))
        path = f"/admin/blog/post/{pk}/change/"
        opened_form = self.open_form(path, "/admin/blog/post/[id]/change/")
        if opened_form is None:
            return
        marker = f"edit-{uuid.uuid4().hex[:16]}"
        fields = {**self.drafts[pk], "excerpt": marker}
        saves_log.write(
            json.dumps({"kind": "edit", "pk": pk, "marker": marker, "event": "sent", "t": time.time()})
        )
        response = self.client.post(
            path,
            data={**fields, **opened_form, "_continue": "Save and continue editing"},
            name="/admin/blog/post/[id]/change/ (save)",
            allow_redirects=False,
        )
        acknowledged = response.status_code == 302
        if acknowledged:
            self.drafts[pk] = fields
        saves_log.write(
            json.dumps(
                {
                    "kind": "edit",
                    "pk": pk,
                    "marker": marker,
                    "event": "acknowledged" if acknowledged else "refused",
                    "status": response.status_code,
                    "t": time.time(),
                }
            )
        )

    @task(1)
    def publish_one(self):
        self.publish(1)

    @task(1)
    def publish_several(self):
        self.publish(3)

    def publish(self, count):
        if not self.drafts:
            return
        pks = random.sample(sorted(self.drafts), min(count, len(self.drafts)))
        token = self.form_token("/admin/blog/post/", "/admin/blog/post/")
        if token is None:
            return
        saves_log.write(json.dumps({"kind": "publish", "pks": pks, "event": "sent", "t": time.time()}))
        response = self.client.post(
            "/admin/blog/post/",
            data={"action": "publish", "select_across": "0", "index": "0", "_selected_action": pks}
            | {"csrfmiddlewaretoken": token},
            name="/admin/blog/post/ (publish)" if count == 1 else "/admin/blog/post/ (bulk publish)",
            allow_redirects=False,
        )
        acknowledged = response.status_code == 302
        if acknowledged:
            for pk in pks:
                del self.drafts[pk]
        saves_log.write(
            json.dumps(
                {
                    "kind": "publish",
                    "pks": pks,
                    "event": "acknowledged" if acknowledged else "refused",
                    "status": response.status_code,
                    "t": time.time(),
                }
            )
        )


def csrf_token(html):
    match = CSRF_INPUT.search(html)
    return match.group(1) if match else ""


def first_change_id(html):
    match = re.search(r"/admin/blog/\w+/(\d+)/change/", html)
    return match.group(1) if match else None
