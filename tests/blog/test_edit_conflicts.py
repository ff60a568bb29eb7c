"""No lost update (apps/blog/edit_conflicts.py): a save from a form opened
before another save is refused with who, when and what, the form keeps what
the editor typed, and the race between two saves has exactly one winner."""

import datetime
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.signals import pre_save
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.blog.models import Post
from apps.blog.tasks import publish_due_posts
from tests.support.pages import opened_form_data, post_form_data
from tests.support.waiting import wait_for

CHANGELIST_URL = "/admin/blog/post/"
WAITING_ON_A_LOCK = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock'
"""


def change_url(row):
    return reverse(f"admin:blog_{row._meta.model_name}_change", args=[row.pk])


def signed_in_client(username):
    editor = get_user_model().objects.create_superuser(username, password="editor-password")
    client = Client()
    client.force_login(editor)
    return client


def opened_form(client, post):
    """The hidden fields as the change form renders them for this editor."""
    form = client.get(change_url(post)).context["adminform"].form
    return {name: form[name].value() for name in ("opened_version", "opened_at")}


def someone_waits_on_a_lock():
    with connection.cursor() as cursor:
        cursor.execute(WAITING_ON_A_LOCK)
        return cursor.fetchone()[0] > 0


def test_a_stale_form_is_refused_with_who_when_what_and_keeps_what_was_typed(db, post_factory):
    post = post_factory(title="Council vote delayed", excerpt="Old summary.")
    first_editor, second_editor = signed_in_client("ann"), signed_in_client("bob")
    first_opened, second_opened = opened_form(first_editor, post), opened_form(second_editor, post)

    saved = first_editor.post(
        change_url(post), post_form_data(post, title="Council vote tonight", **first_opened)
    )
    refused = second_editor.post(
        change_url(post), post_form_data(post, excerpt="Bob's new summary.", **second_opened)
    )

    assert saved.status_code == 302
    assert refused.status_code == 200
    form = refused.context["adminform"].form
    conflict = " ".join(form.non_field_errors())
    assert "This post was changed after you opened it" in conflict
    assert "ann at " in conflict
    assert "Changed Title." in conflict
    assert form["excerpt"].value() == "Bob's new summary."
    assert "Bob&#x27;s new summary." in refused.text
    post.refresh_from_db()
    assert (post.title, post.excerpt, post.version) == ("Council vote tonight", "Old summary.", 2)
    # The form comes back opened at the current version: saving again after merging goes through.
    assert form["opened_version"].value() == "2"
    merged = post_form_data(post, excerpt="Bob's new summary.", opened_version=form["opened_version"].value())
    assert second_editor.post(change_url(post), merged).status_code == 302
    post.refresh_from_db()
    assert (post.title, post.excerpt, post.version) == ("Council vote tonight", "Bob's new summary.", 3)


def test_a_form_without_its_version_is_refused(admin_client, post_factory):
    post = post_factory(title="Original")
    data = post_form_data(post, title="Overwritten")
    del data["opened_version"], data["opened_at"]

    response = admin_client.post(change_url(post), data)

    assert response.status_code == 200
    assert "1 change with no entry in the history" in " ".join(
        response.context["adminform"].form.non_field_errors()
    )
    post.refresh_from_db()
    assert post.title == "Original"


def test_an_unchanged_save_records_no_hidden_field_in_the_history(admin_client, post_factory):
    post = post_factory()

    admin_client.post(change_url(post), post_form_data(post, title="Retitled"))

    history = admin_client.get(reverse("admin:blog_post_history", args=[post.pk]))
    assert "Changed Title." in history.text
    assert "Opened" not in history.text


@pytest.mark.parametrize("model_name", ["author", "category", "tag"])
def test_stale_forms_of_authors_categories_and_tags_are_refused(admin_client, site, model_name):
    row = site[model_name]
    fields = {"name": "Renamed", "slug": row.slug}
    if model_name == "category":
        fields["position"] = 0
    opened = opened_form_data(row)
    assert admin_client.post(change_url(row), {**fields, **opened}).status_code == 302

    refused = admin_client.post(change_url(row), {**fields, "name": "Renamed again", **opened})

    assert refused.status_code == 200
    assert "changed after you opened it" in " ".join(refused.context["adminform"].form.non_field_errors())
    row.refresh_from_db()
    assert (row.name, row.version) == ("Renamed", 2)


def test_a_position_change_from_the_list_makes_open_category_forms_stale(admin_client, site):
    category = site["category"]
    opened = opened_form_data(category)
    category.position = 5
    category.save(update_fields=["position", "last_modified", "version"])

    refused = admin_client.post(
        change_url(category), {"name": "Harbour", "slug": category.slug, "position": 0, **opened}
    )

    assert refused.status_code == 200
    category.refresh_from_db()
    assert category.position == 5


def test_a_stale_form_cannot_unpublish_after_the_publish_action(db, post_factory):
    draft = post_factory(status=Post.Status.DRAFT, published_at=None)
    editor, desk = signed_in_client("ann"), signed_in_client("desk")
    opened = opened_form(editor, draft)
    desk.post(CHANGELIST_URL, {"action": "publish", "_selected_action": [draft.pk]})

    refused = editor.post(change_url(draft), post_form_data(draft, excerpt="Typed meanwhile.", **opened))

    assert refused.status_code == 200
    assert refused.context["adminform"].form["excerpt"].value() == "Typed meanwhile."
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (Post.Status.PUBLISHED, 2)


def test_a_form_opened_before_scheduled_publishing_cannot_put_the_post_back_to_scheduled(
    admin_client, post_factory
):
    post = post_factory(
        status=Post.Status.SCHEDULED, published_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    opened = opened_form(admin_client, post)
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - datetime.timedelta(seconds=1))
    assert publish_due_posts() == 1

    refused = admin_client.post(
        change_url(post), post_form_data(post, status=Post.Status.SCHEDULED, **opened)
    )

    assert refused.status_code == 200
    assert "1 change with no entry in the history" in " ".join(
        refused.context["adminform"].form.non_field_errors()
    )
    post.refresh_from_db()
    assert (post.status, post.version) == (Post.Status.PUBLISHED, 2)


def test_bulk_writes_raise_the_version_and_touch_does_not(post_factory):
    post = post_factory(status=Post.Status.DRAFT, published_at=None)
    posts = Post.objects.filter(pk=post.pk)

    posts.publish_now()
    posts.unpublish()
    posts.touch()

    post.refresh_from_db()
    assert post.version == 3


# ---------------------------------------------------------------- races, on real connections


class HeldSave:
    """Holds the named thread's save inside its transaction (the row locked)
    until `release` is set: the moment another writer would slip in."""

    def __init__(self, thread_name):
        self.thread_name = thread_name
        self.holding = threading.Event()
        self.release = threading.Event()

    def __call__(self, sender, instance, **kwargs):
        if threading.current_thread().name == self.thread_name:
            self.holding.set()
            assert self.release.wait(timeout=30)

    def __enter__(self):
        pre_save.connect(self, sender=Post, weak=False)
        return self

    def __exit__(self, *exc_info):
        self.release.set()
        pre_save.disconnect(self, sender=Post)


def in_thread(name, target, results):
    def run():
        try:
            results[name] = target()
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_two_saves_from_one_version_have_exactly_one_winner_even_when_interleaved(post_factory):
    """The worst interleaving, forced: the second save arrives while the first
    is between its check and its commit. With a plain read it would read the
    old version and win too; under the row lock it waits, then finds the new one."""
    post = post_factory(title="Ferry fares", excerpt="Old summary.")
    first_editor, second_editor = signed_in_client("ann"), signed_in_client("bob")
    opened = opened_form_data(post)
    results = {}

    with HeldSave("ann") as held:
        ann = in_thread(
            "ann",
            lambda: first_editor.post(
                change_url(post), post_form_data(post, title="Ferry fares rise", **opened)
            ),
            results,
        )
        assert held.holding.wait(timeout=30)
        bob = in_thread(
            "bob",
            lambda: second_editor.post(
                change_url(post), post_form_data(post, excerpt="Bob's summary.", **opened)
            ),
            results,
        )
        assert wait_for(someone_waits_on_a_lock)
        held.release.set()
        ann.join(timeout=30)
        bob.join(timeout=30)

    assert (results["ann"].status_code, results["bob"].status_code) == (302, 200)
    assert "ann at " in " ".join(results["bob"].context["adminform"].form.non_field_errors())
    post.refresh_from_db()
    assert (post.title, post.excerpt, post.version) == ("Ferry fares rise", "Old summary.", 2)


@pytest.mark.django_db(transaction=True)
def test_two_saves_from_one_version_started_together_have_exactly_one_winner(post_factory):
    post = post_factory(title="Harbour wall", excerpt="Old summary.")
    clients = {"ann": signed_in_client("ann"), "bob": signed_in_client("bob")}
    changes = {"ann": {"title": "Harbour wall repaired"}, "bob": {"excerpt": "Bob's summary."}}
    opened = opened_form_data(post)
    start_together = threading.Barrier(2, timeout=30)
    results = {}

    def save(name):
        start_together.wait()
        return clients[name].post(change_url(post), post_form_data(post, **changes[name], **opened))

    threads = [in_thread(name, lambda name=name: save(name), results) for name in clients]
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(response.status_code for response in results.values())
    assert statuses == [200, 302]
    (winner,) = [name for name, response in results.items() if response.status_code == 302]
    post.refresh_from_db()
    assert post.version == 2
    assert {"title": post.title, "excerpt": post.excerpt} == {
        "title": "Harbour wall",
        "excerpt": "Old summary.",
        **changes[winner],
    }


@pytest.mark.django_db(transaction=True)
def test_scheduled_publishing_never_overwrites_an_editors_newer_save(post_factory):
    """The editor takes the post back to draft while the task runs: the task's
    UPDATE waits for the editor's commit, then finds the post no longer scheduled."""
    post = post_factory(
        status=Post.Status.SCHEDULED, published_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - datetime.timedelta(seconds=1))
    post.refresh_from_db()
    editor = signed_in_client("ann")
    results = {}

    with HeldSave("ann") as held:
        ann = in_thread(
            "ann",
            lambda: editor.post(
                change_url(post), post_form_data(post, status=Post.Status.DRAFT, **opened_form_data(post))
            ),
            results,
        )
        assert held.holding.wait(timeout=30)
        task = in_thread("task", publish_due_posts, results)
        assert wait_for(someone_waits_on_a_lock)
        held.release.set()
        ann.join(timeout=30)
        task.join(timeout=30)

    assert results["ann"].status_code == 302
    assert results["task"] == 0
    post.refresh_from_db()
    assert (post.status, post.version) == (Post.Status.DRAFT, 2)


@pytest.mark.parametrize("model_name", ["post", "author", "category", "tag"])
def test_each_change_form_carries_its_version_hidden(admin_client, site, model_name):
    row = site["posts"][0] if model_name == "post" else site[model_name]

    page = admin_client.get(change_url(row)).text

    assert f'<input type="hidden" name="opened_version" value="{row.version}"' in page
    assert '<input type="hidden" name="opened_at" value="' in page
