import html

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from apps.blog.models import Category
from apps.blog.querysets import HIGHLIGHT_START, HIGHLIGHT_STOP

register = template.Library()


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    """`path` as an absolute URL on this host, for canonical links, OpenGraph and feeds."""
    return context["request"].build_absolute_uri(path)


@register.filter
def highlight(snippet):
    """A ts_headline snippet of body_html, as text, with its matches wrapped in <mark>."""
    marked = (
        escape(html.unescape(snippet)).replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>")
    )
    return mark_safe(marked)  # noqa: S308 - escaped above; only our own <mark> tags are added


@register.simple_tag
def site_sections():
    """The sections in the editors' order, for the header's navigation (lazy:
    a cached navigation never runs the query)."""
    return Category.objects.only("name", "slug")
