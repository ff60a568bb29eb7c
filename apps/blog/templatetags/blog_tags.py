import html

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from apps.blog.models import Category
from apps.blog.search import HIGHLIGHT_START, HIGHLIGHT_STOP
from apps.core import site_url

register = template.Library()


@register.simple_tag
def absolute_url(path):
    """`path` on SITE_URL, for canonical links and OpenGraph (never the request's Host)."""
    return site_url.absolute_url(path)


@register.filter(expects_localtime=True)
def html_datetime(moment):
    """`moment` to the second, with its offset: what <time datetime> accepts.

    `|date:'c'` writes the microseconds an editor's save stores, and HTML allows
    at most three digits of a second (the Nu HTML checker rejects six)."""
    return moment.isoformat(timespec="seconds") if moment else ""


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
    a cached navigation never runs the query). Only those with a published
    post: the others are 404 until then, and their names may be embargoed."""
    return Category.objects.with_published_posts().only("name", "slug")
