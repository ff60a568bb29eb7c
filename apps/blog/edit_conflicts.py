"""No lost update: a change form opened before someone else's save cannot overwrite it.

The editor's save path, in the order it runs (admin's changeform_view, one
transaction):

1. get_object reads the row with SELECT ... FOR UPDATE (a POST only): from
   here to the commit no other save, bulk action or scheduled publishing
   can change it; they wait for the commit, then see the new version.
2. The form's clean() compares the version the form was opened with (a hidden
   field) with the locked row's. Equal: the save goes on and raises the
   version (Versioned.save). Different: the form is invalid, so the admin
   answers 200 with the form as the editor typed it and a message naming who
   changed the row since, when, and what (from the admin's LogEntry history),
   instead of 302 "changed successfully". The form then carries the current
   version: saving again, after merging, is the editor's informed choice.

Race-free because the comparison and the write happen under the row lock in
one transaction: of two saves from one version, the second waits in step 1
and finds the first one's version (tests/blog/test_edit_conflicts.py).
"""

from django import forms
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import ngettext

OPENED_FIELDS = ("opened_version", "opened_at")


class OpenedStateField(forms.CharField):
    """What the form was opened from. Never "changed": not in changed_data, so
    neither in the history's change message nor in a save's update_fields."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def has_changed(self, initial, data):
        return False


class VersionedModelForm(forms.ModelForm):
    opened_version = OpenedStateField()
    opened_at = OpenedStateField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["opened_version"].initial = self.instance.version
            self.fields["opened_at"].initial = timezone.now().isoformat()

    def clean(self):
        cleaned_data = super().clean()
        # Before _post_clean copies the form onto the instance: still the locked row.
        if self.instance.pk is None or self.instance._state.adding:
            return cleaned_data
        opened_version = cleaned_data.get("opened_version") or ""
        if opened_version != str(self.instance.version):
            conflict = conflict_messages(self.instance, opened_version, cleaned_data.get("opened_at"))
            self.reopen_at_current_version()
            raise ValidationError(conflict, code="edit_conflict")
        return cleaned_data

    def reopen_at_current_version(self):
        """The form comes back with everything typed, opened from the current row."""
        self.data = self.data.copy()
        self.data[self.add_prefix("opened_version")] = str(self.instance.version)
        self.data[self.add_prefix("opened_at")] = timezone.now().isoformat()


def conflict_messages(row, opened_version, opened_at_text):
    """Who changed the row since the form was opened, when, and what: the
    admin's history entries after the form's opening time, and a line for
    changes with no entry (a script's save)."""
    opened_at = parse_datetime(opened_at_text or "")
    noun = row._meta.verbose_name
    messages = [
        f"This {noun} was changed after you opened it, so your changes are not saved yet. "
        "They are all still in the form below: compare them with the changes listed here, "
        "then save again to keep yours."
    ]
    entries = LogEntry.objects.none()
    if opened_at is not None:
        entries = (
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(row),
                object_id=str(row.pk),
                action_time__gt=opened_at,
            )
            .select_related("user")
            .order_by("action_time")
        )
    listed = 0
    for entry in entries:
        listed += 1
        messages.append(
            f"{display_name(entry.user)} at {when(entry.action_time)}: {entry.get_change_message()}"
        )
    unlisted = changes_since(row, opened_version) - listed
    if unlisted > 0:
        messages.append(
            ngettext(
                "%(count)d change with no entry in the history, saved at %(when)s.",
                "%(count)d changes with no entry in the history, the latest saved at %(when)s.",
                unlisted,
            )
            % {"count": unlisted, "when": when(row.last_modified)}
        )
    return messages


def changes_since(row, opened_version):
    try:
        return row.version - int(opened_version)
    except ValueError:
        # A form with no version (opened before versions existed): at least one.
        return 1


def display_name(user):
    return user.get_full_name() or user.get_username()


def when(moment):
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


class EditConflictAdminMixin:
    """For the ModelAdmin of a Versioned model; its form subclasses VersionedModelForm."""

    form = VersionedModelForm

    def get_object(self, request, object_id, from_field=None):
        if request.method != "POST":
            return super().get_object(request, object_id, from_field)
        # Step 1 of the save path: the same query as the admin's, with the row lock.
        queryset = self.get_queryset(request).select_for_update(of=("self",))
        model = queryset.model
        field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (model.DoesNotExist, ValidationError, ValueError):
            return None

    def get_fieldsets(self, request, obj=None):
        """The hidden fields ride in the first fieldset (admins that declare none list them already)."""
        fieldsets = super().get_fieldsets(request, obj)
        if OPENED_FIELDS[0] in flatten_fieldsets(fieldsets):
            return fieldsets
        (name, options), *others = fieldsets
        return [(name, {**options, "fields": [*options["fields"], OPENED_FIELDS]}), *others]
