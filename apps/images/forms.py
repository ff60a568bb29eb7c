from django import forms
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

from .validators import validate_image_upload

STORAGE_DOWN_MESSAGE = (
    "The image store cannot be reached right now, so this image was not saved. "
    "Clear this field to save everything else, or try again in a minute."
)


class ImageUploadFormMixin:
    """For any ModelForm with image fields: uploads checked by content, and a
    clear error instead of a failed save when the storage is unreachable.

    Validation runs before save, so a refused file never reaches the bucket.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            is_image = isinstance(form_field, forms.ImageField)
            if is_image and validate_image_upload not in form_field.validators:
                form_field.validators.append(validate_image_upload)

    def clean(self):
        cleaned_data = super().clean()
        new_uploads = [
            name
            for name in self.changed_data
            if isinstance(self.fields[name], forms.ImageField)
            and isinstance(cleaned_data.get(name), UploadedFile)
        ]
        if new_uploads and not default_storage.is_reachable():
            for name in new_uploads:
                self.add_error(name, forms.ValidationError(STORAGE_DOWN_MESSAGE, code="storage_unreachable"))
        return cleaned_data


class ImageUploadModelForm(ImageUploadFormMixin, forms.ModelForm):
    pass
