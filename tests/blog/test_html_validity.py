"""Every HTML page type passes the Nu HTML checker (vnu) with no error.

The checker is the validator project's own jar (npm's vnu-jar, installed by
`npm ci` from package-lock.json) run by Debian's Java (default-jre-headless);
`make test` installs both. Pages are rendered by the test client from a site
with what editors really write: Markdown with headings, lists, a quote, code
and a library image, hero images and avatars, tags, related posts, a second
page of the lists, search results, and dates saved with microseconds. One JVM
checks every page at once: it takes seconds to start.
"""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from apps.blog.popularity import count_post_view, remember_post
from apps.images.models import LibraryImage
from tests.factories import PostFactory, make_published_posts
from tests.support.pages import build_site, page_urls

VNU_JAR = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
VNU_COMMAND = ["java", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--stdout"]
BUCKET_URL = f"{settings.AWS_S3_ENDPOINT_URL}/{settings.AWS_STORAGE_BUCKET_NAME}"

EDITORS_BODY = """\
The council voted **7 to 4** on Tuesday night to keep the [harbour ferry](https://example.org/ferry)
running through the winter.

## What was decided

- Two boats instead of three after 20:00
- Fares stay at *2.40*

> "We heard the island loud and clear," the mayor said.

![Passengers on the quay](image:{image_pk} "Monday's crossing")

### The numbers

1. 1,200 daily riders
2. 3 crossings an hour

The timetable, as the operator publishes it:

    ferry --winter --after 20:00

A quay in the old town, ![](image:{image_pk}), waits for repairs.
"""


def thumbnail(name, width, height):
    return {"url": f"{BUCKET_URL}/{name}.webp", "width": width, "height": height}


def build_realistic_site(django_capture_on_commit_callbacks):
    """build_site() with images, a rich body, read counts and lists longer than one page."""
    site = build_site()
    author, category, tag = site["author"], site["category"], site["tag"]
    # As the images task leaves the row: a save() would clear the thumbnails and queue the task.
    type(author).objects.filter(pk=author.pk).update(
        avatar="avatars/2026/01/ada.jpg",
        avatar_thumbnails={"avatar": thumbnail("ada", 96, 96), "avatar_2x": thumbnail("ada2", 192, 192)},
    )
    make_published_posts(settings.BLOG_POSTS_PER_PAGE + 5, author=author, category=category, tags=[tag])
    with django_capture_on_commit_callbacks(execute=False):
        image = LibraryImage.objects.create(
            file="library/2026/11/quay.jpg",
            width=2000,
            height=1250,
            alt_text="The old quay at dusk",
            credit="Photo: Rosa Ivanova",
            thumbnails={
                alias: thumbnail(f"quay-{width}", width, round(width * 0.625))
                for alias, width in {"body_480": 480, "body_720": 720, "body_1440": 1440}.items()
            },
        )
        story = PostFactory(
            title="Ferry keeps running through the winter",
            author=author,
            category=category,
            tags=site["posts"][0].tags.all(),
            body=EDITORS_BODY.format(image_pk=image.pk),
            hero_image="posts/2026/01/ferry.jpg",
            hero_image_alt="The ferry leaving the quay",
            hero_thumbnails={
                "teaser": thumbnail("t", 480, 270),
                "teaser_2x": thumbnail("t2", 960, 540),
                "detail": thumbnail("d", 960, 540),
                "detail_2x": thumbnail("d2", 1920, 1080),
                "social": thumbnail("s", 1200, 630),
            },
        )
    for post in [story, *site["posts"]]:
        remember_post(post)
        count_post_view(post.pk, "203.0.113.1")
    site["posts"].insert(0, story)
    return site


def rendered_html_pages(client, site):
    """{page name: HTML} of every public page that answers text/html, the 404 and second pages included."""
    urls = page_urls(site)
    urls["search_empty"] = reverse("blog:search")
    urls["not_found"] = "/posts/no-such-story/"
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == (404 if name == "not_found" else 200), name
        if response["Content-Type"].startswith("text/html"):
            pages[name] = response.content.decode()
    older_link = re.search(r'rel="next" href="([^"]+)"', pages["home"]).group(1)
    second_page = client.get(html.unescape(older_link))
    assert second_page.status_code == 200
    pages["home_page_2"] = second_page.content.decode()
    return pages


def checker_errors(html_files):
    """vnu's errors, as (file name, line, message, extract), for all files in one run."""
    result = subprocess.run(
        [*VNU_COMMAND, *map(str, html_files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    messages = json.loads(result.stdout)["messages"]
    return [
        (
            Path(message.get("url", "")).name,
            message.get("lastLine"),
            message["message"],
            message.get("extract"),
        )
        for message in messages
        if message["type"] in ("error", "non-document-error")
    ]


@pytest.mark.django_db
def test_every_html_page_type_passes_the_nu_html_checker(
    client, tmp_path, django_capture_on_commit_callbacks
):
    if shutil.which("java") is None:
        pytest.skip("no java on PATH: `make test` installs Debian's default-jre-headless")
    assert VNU_JAR.exists(), "vnu.jar missing: `make test` installs it with npm ci (package-lock.json)"
    site = build_realistic_site(django_capture_on_commit_callbacks)
    pages = rendered_html_pages(client, site)
    assert {"home", "category", "tag", "author", "archive_year", "archive_month", "post", "search"} <= set(
        pages
    )
    html_files = []
    for name, page_html in pages.items():
        html_file = tmp_path / f"{name}.html"
        html_file.write_text(page_html)
        html_files.append(html_file)

    errors = checker_errors(html_files)

    assert not errors, "\n".join(
        f"{page}:{line}: {message} [{extract}]" for page, line, message, extract in errors
    )
