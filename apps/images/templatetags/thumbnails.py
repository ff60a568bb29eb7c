"""Thumbnail URLs and <img> tags from what the task stored on the row.

    {% load thumbnails %}
    <meta property="og:image" content="{% thumbnail_url post "hero_image" "social" %}">
    {% thumbnail_img post "hero_image" "teaser" alt=post.hero_image_alt %}
    {% thumbnail_data post "hero_image" "social" as social_card %}

A warm render makes no storage request and no query: URLs, widths and heights
are read from the row's JSON field. Only a missing alias is made on the fly
(the chapter's failsafe), so a reader never sees a broken image.
"""

from django import template

from ..registry import thumbnail_field
from ..thumbnails import stored_thumbnail

register = template.Library()

HIGH_RESOLUTION_SUFFIX = "_2x"


@register.simple_tag
def thumbnail_url(instance, image_field, alias):
    thumbnail = stored_thumbnail(instance, image_field, alias)
    return thumbnail["url"] if thumbnail else ""


@register.simple_tag
def thumbnail_data(instance, image_field, alias):
    """{"url", "width", "height"} of one alias, for meta tags: {% thumbnail_data … as card %}."""
    return stored_thumbnail(instance, image_field, alias)


@register.inclusion_tag("inc/image/thumbnail.html")
def thumbnail_img(instance, image_field, alias, alt="", css_class=""):
    """An <img> with width and height (no layout shift) and a 2x srcset when defined."""
    thumbnail = stored_thumbnail(instance, image_field, alias)
    high_resolution = None
    if thumbnail is not None:
        high_resolution_alias = alias + HIGH_RESOLUTION_SUFFIX
        if high_resolution_alias in thumbnail_field(instance._meta.label, image_field).aliases:
            high_resolution = stored_thumbnail(instance, image_field, high_resolution_alias)
    return {"thumbnail": thumbnail, "high_resolution": high_resolution, "alt": alt, "css_class": css_class}
