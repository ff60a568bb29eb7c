"""manage.py content_fingerprint: what make restore-check compares between a
primary and its restored copy (tests/stack/restore_check.py)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.blog.models import Post

pytestmark = pytest.mark.django_db


def fingerprint(*slugs):
    output = StringIO()
    call_command("content_fingerprint", *(f"--slug={slug}" for slug in slugs), stdout=output)
    return json.loads(output.getvalue())


def test_it_counts_every_table_and_names_the_known_posts(post_factory):
    post_factory(slug="kept")

    found = fingerprint("kept", "lost")

    assert found["tables"]["blog_post"] == 1
    assert found["tables"]["blog_post_tags"] == 0
    assert found["published_posts"]["count"] == 1
    assert found["posts_by_slug"] == {"kept": True, "lost": False}


def test_the_checksum_changes_with_a_published_post_and_not_with_a_draft(post_factory):
    published = post_factory()
    draft = post_factory(status=Post.Status.DRAFT, published_at=None)
    before = fingerprint()["published_posts"]

    Post.objects.filter(pk=draft.pk).update(title="Still a draft")
    after_draft_edit = fingerprint()["published_posts"]
    Post.objects.filter(pk=published.pk).update(body_html="<p>Corrected</p>")
    after_published_edit = fingerprint()["published_posts"]

    assert after_draft_edit == before
    assert after_published_edit["count"] == before["count"]
    assert after_published_edit["sha256"] != before["sha256"]
