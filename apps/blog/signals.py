"""Key-based expiration that is actually correct.

A teaser or a post page shows the post's author, category and tags, so when
one of those changes, every post showing it gets a new last_modified (one bulk
UPDATE) and its fragments a new key. Lists embed their teasers' HTML, so every
change a reader can see also bumps the list version, once the transaction has
committed (a reader rendering in between would store old rows under the new
version otherwise). Queryset updates send no signals: the bulk writes are
PostQuerySet methods that schedule the bump themselves (apps/blog/querysets.py).

A post that stops being public (back to draft, dated later, deleted) also
leaves "most read" once that commits: its title must not stay on every post
page until the next decay.
"""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from apps.caching.edge import purge_on_commit
from apps.caching.invalidation import expire_lists_on_commit
from apps.images.models import LibraryImage
from apps.images.thumbnails import thumbnails_stored

from .models import Author, Category, Post, Tag
from .popularity import forget_posts_on_commit


@receiver(post_save, sender=Post)
def post_changed(sender, instance, **kwargs):
    # Its own fragments follow last_modified (auto_now); lists follow the version.
    Post.objects.expire_on_commit([instance.pk], retracted=not instance.is_public)
    if not instance.is_public:
        forget_posts_on_commit([instance.pk])


@receiver(post_delete, sender=Post)
def post_deleted(sender, instance, **kwargs):
    Post.objects.expire_on_commit([instance.pk], retracted=True)
    forget_posts_on_commit([instance.pk])


@receiver(m2m_changed, sender=Post.tags.through)
def post_tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if reverse:
        # tag.posts.add(...), .remove(...), .clear(): `instance` is the tag.
        if action == "pre_clear":
            Post.objects.tagged_with_any([instance.pk]).touch()
        elif action in ("post_add", "post_remove"):
            Post.objects.filter(id__in=pk_set).touch()
    elif action in ("post_add", "post_remove", "post_clear"):
        Post.objects.filter(id=instance.pk).touch()


@receiver(post_save, sender=Author)
def author_changed(sender, instance, created, **kwargs):
    if not created:
        Post.objects.filter(author=instance).touch()


# What a post's fragments show of its category; the position shows only in the navigation.
CATEGORY_FIELDS_POSTS_SHOW = {"name", "slug"}


@receiver(post_save, sender=Category)
def category_changed(sender, instance, created, update_fields=None, **kwargs):
    if created or (update_fields is not None and not CATEGORY_FIELDS_POSTS_SHOW & update_fields):
        # No post shows the change, but every page's section navigation does.
        expire_sections_on_commit()
    else:
        Post.objects.filter(category=instance).touch()
        expire_sections_on_commit()


@receiver(post_delete, sender=Category)
def category_deleted(sender, instance, **kwargs):
    expire_sections_on_commit()


def expire_sections_on_commit():
    """Every page shows the section navigation ({% edge_key "sections" %} at the edge)."""
    expire_lists_on_commit()
    purge_on_commit(lambda: {"sections"})


@receiver(post_save, sender=Tag)
def tag_changed(sender, instance, created, **kwargs):
    if not created:
        Post.objects.tagged_with_any([instance.pk]).touch()


@receiver(thumbnails_stored, sender=Post)
@receiver(thumbnails_stored, sender=Author)
def thumbnails_ready(sender, pk, **kwargs):
    """Lists show hero images and avatars: a thumbnail arriving after the save
    (the Celery task's queryset update) must reach them too."""
    post_ids = [pk] if sender is Post else Post.objects.filter(author_id=pk).edge_ids()
    Post.objects.expire_on_commit(post_ids)


@receiver(pre_delete, sender=Tag)
def tag_deleted(sender, instance, **kwargs):
    # Before the M2M rows go (they leave without an m2m_changed signal).
    Post.objects.tagged_with_any([instance.pk]).touch()


def rerender_bodies_showing(library_image_pk):
    """Render again every body that shows the library image: its sizes, alt
    text or credit are baked into the stored HTML (expensive work on write).
    Each save bumps the post's last_modified and, on commit, the list version.

    Each post is read again under its row lock and only its HTML is written:
    a body loaded earlier would overwrite an editor's save made in between."""
    showing = Post.objects.filter(body_images__image_id=library_image_pk).values_list("pk", flat=True)
    for post_pk in list(showing):
        with transaction.atomic():
            post = Post.objects.select_for_update().filter(pk=post_pk).first()
            if post is not None:
                post.save(update_fields=["body_html", "last_modified"])


@receiver(thumbnails_stored, sender=LibraryImage)
def library_thumbnails_ready(sender, pk, **kwargs):
    """Bodies saved before the worker made the thumbnails show the uploaded
    file; now they get the body sizes' srcset."""
    rerender_bodies_showing(pk)


@receiver(post_save, sender=LibraryImage)
def library_image_changed(sender, instance, created, raw=False, **kwargs):
    if not created and not raw:
        rerender_bodies_showing(instance.pk)
