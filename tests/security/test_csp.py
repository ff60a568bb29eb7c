"""Content-Security-Policy: the site's pages allow scripts and styles from
their own origin and the static origin only, so an injected <script> or inline
handler does not run; the admin, whose Django templates carry an inline
<style>, allows inline styles but still no inline script."""

import re
from pathlib import Path

import pytest

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


def directives(header):
    return {name: rest for name, _, rest in (part.strip().partition(" ") for part in header.split(";"))}


@pytest.mark.django_db
def test_public_pages_send_a_strict_policy(client, post_factory, settings):
    settings.MEDIA_URL = "https://media.example.com/bucket/"
    post = post_factory()
    for url in ("/", post.get_absolute_url(), "/search/?q=x", "/no-such-page/"):
        policy = directives(client.get(url)["Content-Security-Policy"])
        assert policy["default-src"] == "'self'", url
        assert policy["script-src"] == "'self'", url
        assert policy["style-src"] == "'self'", url
        assert policy["object-src"] == "'none'", url
        assert policy["base-uri"] == "'self'", url
        assert policy["frame-ancestors"] == "'none'", url
        assert policy["form-action"] == "'self'", url
        assert policy["img-src"].split() == ["'self'", "data:", "https://media.example.com"], url


@pytest.mark.django_db
def test_a_static_origin_of_its_own_is_allowed_for_scripts_styles_and_images(client, settings):
    settings.STATIC_URL = "https://static.example.com/assets/"
    policy = directives(client.get("/")["Content-Security-Policy"])
    assert policy["script-src"] == "'self' https://static.example.com"
    assert policy["style-src"] == "'self' https://static.example.com"
    assert "https://static.example.com" in policy["img-src"].split()


def test_the_admin_allows_inline_styles_but_no_inline_script(admin_client):
    policy = directives(admin_client.get("/admin/blog/post/")["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("template", sorted(TEMPLATES_DIR.rglob("*.html")), ids=lambda path: path.name)
def test_no_template_carries_inline_script_style_or_handlers(template):
    source = template.read_text()
    assert not INLINE_SCRIPT.search(source)
    assert not INLINE_STYLE.search(source)
    assert not EVENT_HANDLER.search(source)
