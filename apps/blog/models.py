from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from apps.core.text import strip_control_characters
from apps.images.models import LibraryImage
from apps.images.uploads import UnguessableUploadTo

from .querysets import ListPageQuerySet, PostQuerySet
from .search import SEARCH_CONFIG


class StripsControlCharacters:
    """Every text column is saved without control characters: pasted into a
    name, they reach feeds (XML refuses them) and search snippets."""

    def save(self, *args, **kwargs):
        for field in self._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                value = getattr(self, field.attname)
                if value:
                    setattr(self, field.attname, strip_control_characters(value))
        super().save(*args, **kwargs)


class Versioned(models.Model):
    """A version number every save of the row raises, which the change form
    carries back: a save from a form opened before another save is refused
    (optimistic locking; the check and its race-freedom are in
    apps/blog/edit_conflicts.py). Bulk writes raise it in their own UPDATE
    (PostQuerySet.publish_now, unpublish, publish_due).

    Hand-written rather than django-concurrency: that package does the same
    with a `WHERE version = %s` added to Model._do_update (a private method)
    and its own admin mixin and triggers, but still leaves the message "who
    changed what" and re-rendering the form to us; here the admin locks the
    row it edits (select_for_update), so the check is one integer comparison
    with no extra query and no dependency on Django's internals.

    A plain integer with a constant default: on blog_post at a million rows
    the column is added without a rewrite (PostgreSQL 11+) and with no CHECK
    constraint to validate under the lock (tests/core/test_safe_migrations.py).
    """

    version = models.IntegerField(default=1, db_default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and (update_fields is None or "version" in update_fields):
            self.version += 1
        super().save(*args, **kwargs)


class KeepsFormerSlugs:
    """Old URLs keep working: a save that changes the slug records the slug the
    row had (in the same transaction), so a link shared before the rename
    answers 301 to the current URL (apps/blog/views.py, redirect_renamed).

    The slug as loaded is remembered by from_db, so knowing a rename costs no
    query; the history table (former_slugs) is written only on a rename.
    """

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Absent when the slug was deferred: such a row is never renamed by its save.
        instance._slug_in_db = instance.__dict__.get("slug")
        return instance

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        former_slug = getattr(self, "_slug_in_db", None)
        renamed = (
            former_slug is not None
            and former_slug != self.slug
            and (update_fields is None or "slug" in update_fields)
        )
        if not renamed:
            super().save(*args, **kwargs)
        else:
            with transaction.atomic(using=kwargs.get("using")):
                super().save(*args, **kwargs)
                # The newest owner of a slug keeps it: a slug two rows gave up
                # leads to the one that gave it up last.
                self.former_slugs.model.objects.bulk_create(
                    [self.former_slugs.model(owner=self, slug=former_slug)],
                    update_conflicts=True,
                    unique_fields=["slug"],
                    update_fields=["owner", "renamed_at"],
                )
        self._slug_in_db = self.slug


class Author(KeepsFormerSlugs, StripsControlCharacters, Versioned, models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    bio = models.TextField(blank=True)
    avatar = models.ImageField(upload_to=UnguessableUploadTo("avatars/"), max_length=255, blank=True)
    # Filled by the thumbnail task: {alias: {"url", "width", "height"}}, so a
    # render needs neither storage round-trips nor thumbnail queries.
    avatar_thumbnails = models.JSONField(default=dict, blank=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="author"
    )
    last_modified = models.DateTimeField(auto_now=True)

    objects = ListPageQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("blog:author", kwargs={"slug": self.slug})


class Category(KeepsFormerSlugs, StripsControlCharacters, Versioned, models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    # The sections' order in the site's navigation, chosen by editors.
    position = models.PositiveSmallIntegerField(
        default=0, db_default=0, help_text="Lower comes first in the navigation."
    )
    last_modified = models.DateTimeField(auto_now=True)

    objects = ListPageQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("blog:category", kwargs={"slug": self.slug})


class Tag(KeepsFormerSlugs, StripsControlCharacters, Versioned, models.Model):
    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60, unique=True)
    last_modified = models.DateTimeField(auto_now=True)

    objects = ListPageQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("blog:tag", kwargs={"slug": self.slug})


class PostStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"


class Post(KeepsFormerSlugs, StripsControlCharacters, Versioned, models.Model):
    # Post.Status everywhere; defined outside so that Meta's constraints can name it.
    Status = PostStatus

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="posts")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="posts")
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    excerpt = models.TextField(blank=True)
    body = models.TextField(help_text="Markdown.")
    # Rendered and sanitized on save, so reading never renders Markdown.
    body_html = models.TextField(blank=True, editable=False)
    hero_image = models.ImageField(upload_to=UnguessableUploadTo("posts/"), max_length=255, blank=True)
    hero_image_alt = models.CharField("hero image alt text", max_length=250, blank=True)
    # Filled by the thumbnail task: {alias: {"url", "width", "height"}}.
    hero_thumbnails = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True)
    # Full-text search: a stored tsvector PostgreSQL keeps current on every
    # write (no trigger, no reindexing job), weighted title > excerpt > body.
    search_vector = models.GeneratedField(
        expression=(
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("excerpt", weight="B", config=SEARCH_CONFIG)
            + SearchVector("body", weight="C", config=SEARCH_CONFIG)
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            # Keyset pagination needs a non-null ordering for every public row.
            models.CheckConstraint(
                condition=~Q(status=PostStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="published_post_has_published_at",
            ),
        ]
        # Missing index: each list's filter and order, so the planner walks the
        # index and stops after one page. Over every post, not only the public
        # ones: the editors' change list sorts the same way (drafts, undated,
        # first) and drills into a year or an author through the same ranges,
        # and the readers' pages skip the few non-public rows they meet.
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="post_date_idx"),
            # The public's rows with no filter to skip, and the change list by status.
            models.Index(fields=["status", "-published_at", "-id"], name="post_status_date_idx"),
            models.Index(fields=["category", "-published_at", "-id"], name="post_category_date_idx"),
            models.Index(fields=["author", "-published_at", "-id"], name="post_author_date_idx"),
            GinIndex(
                fields=["search_vector"], name="post_search_idx", condition=Q(status=PostStatus.PUBLISHED)
            ),
            # The editors' admin searches every post, drafts included: icontains
            # is UPPER(title) LIKE '%…%', which a trigram index answers.
            GinIndex(OpClass(Upper("title"), name="gin_trgm_ops"), name="post_title_trgm_idx"),
            # The thumbnail sweep (apps/images/sweep.py) reads only the few rows
            # whose hero image has no thumbnails yet, oldest save first.
            models.Index(
                fields=["last_modified"],
                name="post_hero_unthumbnailed_idx",
                condition=Q(hero_thumbnails={}) & ~Q(hero_image=""),
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Published with a future date means scheduled: it then goes live through
        # publish_due_posts, which refreshes the cached lists. Left "published",
        # it would appear only when the lists' copies expire.
        dated_later = self.published_at is not None and self.published_at > timezone.now()
        if self.status == self.Status.PUBLISHED and dated_later:
            self.status = self.Status.SCHEDULED
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "status"}
        # Expensive work on write: readers get stored, sanitized HTML. Imported
        # here: Markdown and nh3 (about 5 MB) load in the processes that write.
        from .rendering import render_body

        rendered_body = render_body(self.body)
        self.body_html = rendered_body.html
        update_fields = kwargs.get("update_fields")
        body_saved = update_fields is None or "body" in update_fields
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_html"}
        adding = self._state.adding
        super().save(*args, **kwargs)
        if body_saved:
            self.remember_body_images(rendered_body.image_ids, adding=adding)

    def get_absolute_url(self):
        return reverse("blog:post", kwargs={"slug": self.slug})

    def clean(self):
        if self.status == self.Status.SCHEDULED and self.published_at is None:
            raise ValidationError({"published_at": "A scheduled post needs the date and time it goes live."})

    def remember_body_images(self, image_ids, *, adding=False):
        """Keep PostBodyImage rows in line with the library images the body shows."""
        if not adding:
            PostBodyImage.objects.filter(post=self).exclude(image_id__in=image_ids).delete()
        if image_ids:
            PostBodyImage.objects.bulk_create(
                [PostBodyImage(post=self, image_id=image_id) for image_id in image_ids], ignore_conflicts=True
            )

    # Memoized for the request: templates read the tags several times per post
    # (teaser or tag list, OpenGraph article:tag, the related-posts lookup), all
    # from one prefetch.
    @cached_property
    def tag_list(self):
        return list(self.tags.all())

    @property
    def is_public(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )


class PostBodyImage(models.Model):
    """A library image shown in a post's body, recorded on save.

    It answers "which bodies show this image?" with an index instead of a scan
    of every body: the re-render when the image's thumbnails or captions
    change, and the refusal to delete an image a story still shows (PROTECT).
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="body_images")
    image = models.ForeignKey(LibraryImage, on_delete=models.PROTECT, related_name="post_bodies")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "image"], name="post_body_image_unique")]
        # Named for the admin's refusal to delete a library image: "Story showing it: “…”".
        verbose_name = "story showing it"

    def __str__(self):
        return f"“{self.post}”"


class FormerSlug(models.Model):
    """A slug a row answered at before a rename (KeepsFormerSlugs)."""

    slug = models.SlugField(max_length=200, unique=True)
    renamed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self):
        return self.slug


class PostFormerSlug(FormerSlug):
    owner = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="former_slugs")


class CategoryFormerSlug(FormerSlug):
    owner = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="former_slugs")


class TagFormerSlug(FormerSlug):
    owner = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="former_slugs")


class AuthorFormerSlug(FormerSlug):
    owner = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="former_slugs")
