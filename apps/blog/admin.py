"""The editors' admin: fast at a million posts, with drafts previewed on the site."""

from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTextareaWidget
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import ngettext

from apps.core.admin_paginators import ApproximateCountPaginator
from apps.images.admin import ImageUploadAdminMixin
from apps.images.forms import ImageUploadFormMixin
from apps.images.models import LibraryImage

from .edit_conflicts import EditConflictAdminMixin, VersionedModelForm
from .models import Author, Category, Post, Tag


class VersionedImageUploadForm(ImageUploadFormMixin, VersionedModelForm):
    """The change form of a model with images (Post, Author): both checks."""


class StatusListFilter(admin.ChoicesFieldListFilter):
    """The status filter, with "Published" as readers see it: `published()`.

    Drafts (undated) and scheduled posts (dated later) sit at the head of the
    date index the change list is ordered by, 50,000 rows at 1M posts: a bare
    status = 'published' skipped them row by row (0.7-1.6 s), the date bound of
    published() starts the range after them (a post marked published but dated
    later is, by Post.save(), a scheduled post).
    """

    def queryset(self, request, queryset):
        wanted = self.used_parameters.get(self.lookup_kwarg)
        if wanted and list(wanted)[-1] == Post.Status.PUBLISHED:
            return queryset.published()
        return super().queryset(request, queryset)


class BodyTextarea(AdminTextareaWidget):
    """The body's textarea with an "Insert library image" button: the image
    library opens in the admin's lookup popup, and the chosen image goes in
    at the cursor as `![](image:42)` (static/js/admin_body_images.js)."""

    class Media:
        js = ["js/admin_body_images.js"]

    def render(self, name, value, attrs=None, renderer=None):
        textarea = super().render(name, value, attrs, renderer)
        # Django's lookup popup names its window after the link's id minus
        # "lookup_", and writes the chosen id into the element with that id.
        choice_id = f"{attrs['id']}_library_image"
        return textarea + format_html(
            '<p class="body-image-insert">'
            '<a href="{}" class="related-lookup" id="lookup_{}">Insert library image</a> '
            '<input type="hidden" id="{}" data-body-image-target="{}"> '
            '<span class="help">Puts <code>![](image:ID)</code> at the cursor. Alt text between '
            'the brackets replaces the library\'s; <code>![](image:ID "Caption")</code> adds a caption.'
            "</span></p>",
            reverse("admin:images_libraryimage_changelist"),
            choice_id,
            choice_id,
            attrs["id"],
        )


@admin.register(Post)
class PostAdmin(EditConflictAdminMixin, ImageUploadAdminMixin, admin.ModelAdmin):
    form = VersionedImageUploadForm
    list_display = ["title", "status", "author", "category", "published_at", "preview_link"]
    # The change list's author and category columns: one JOIN, not two queries per row.
    list_select_related = ["author", "category"]
    list_filter = [("status", StatusListFilter), "category", "author"]
    search_fields = ["title"]
    # Drawn by {% post_date_hierarchy %} (templates/admin/blog/post/change_list.html):
    # Django's own scans the table twice for the years it lists.
    date_hierarchy = "published_at"
    # The readers' order, drafts (undated) and scheduled posts first: every
    # view of the change list (all posts, a status, an author, a category, a
    # year, a month) is a range of one of the date indexes, read for one page.
    # The admin adds -pk, so the order is the index's (published_at, id).
    ordering = ["-published_at"]
    autocomplete_fields = ["author", "category", "tags"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created", "last_modified"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "author", "category", "tags", "status", "published_at"]}),
        ("Text", {"fields": ["excerpt", "body"]}),
        ("Hero image", {"fields": ["hero_image", "hero_image_alt"]}),
        ("History", {"fields": ["created", "last_modified"]}),
    ]
    actions = ["publish", "unpublish"]
    # Database counts are slow: no COUNT(*) of the whole table for the
    # "N total" line, and the paginator reads pg_class.reltuples when large.
    show_full_result_count = False
    paginator = ApproximateCountPaginator

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = BodyTextarea
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, post, form, change):
        super().save_model(request, post, form, change)
        # Imported here: Markdown loads in the processes that write, not in every web worker.
        from .rendering import referenced_image_ids

        referenced_ids = referenced_image_ids(post.body)
        if not referenced_ids:
            return
        existing_ids = LibraryImage.objects.filter(pk__in=referenced_ids).values_list("pk", flat=True)
        missing_ids = sorted(referenced_ids - set(existing_ids))
        if missing_ids:
            message = ngettext(
                "The body refers to library image %s (not in the library): the story shows without it.",
                "The body refers to library images %s (not in the library): the story shows without them.",
                len(missing_ids),
            )
            self.message_user(request, message % ", ".join(map(str, missing_ids)), messages.WARNING)

    def get_queryset(self, request):
        # Results are too large: a change list row never shows the text columns.
        return (
            super()
            .get_queryset(request)
            .defer("body", "body_html", "search_vector", "author__bio", "category__description")
        )

    def view_on_site(self, post):
        """Public posts at their address; drafts and scheduled posts on the staff preview."""
        if post.is_public:
            return post.get_absolute_url()
        return reverse("blog:preview", args=[post.pk])

    @admin.display(description="Preview")
    def preview_link(self, post):
        return format_html(
            '<a href="{}" target="_blank">Preview</a>', reverse("blog:preview", args=[post.pk])
        )

    @admin.action(description="Publish selected posts now (past dates are kept)", permissions=["change"])
    def publish(self, request, queryset):
        published_count = queryset.publish_now()
        self.message_user(
            request, ngettext("%d post published.", "%d posts published.", published_count) % published_count
        )

    @admin.action(description="Unpublish selected posts (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        unpublished_count = queryset.unpublish()
        self.message_user(
            request,
            ngettext("%d post unpublished.", "%d posts unpublished.", unpublished_count) % unpublished_count,
        )


@admin.register(Author)
class AuthorAdmin(EditConflictAdminMixin, ImageUploadAdminMixin, admin.ModelAdmin):
    form = VersionedImageUploadForm
    list_display = ["name", "slug", "user"]
    list_select_related = ["user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]


@admin.register(Category)
class CategoryAdmin(EditConflictAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    # Editors order the site's navigation here, right in the list.
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, category, form, change):
        if change and set(form.changed_data) <= {"position"}:
            # A new place in the navigation changes no post that shows the
            # category (apps/blog/signals.py then spares their last_modified).
            category.save(update_fields=["position", "last_modified", "version"])
        else:
            super().save_model(request, category, form, change)


@admin.register(Tag)
class TagAdmin(EditConflictAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
