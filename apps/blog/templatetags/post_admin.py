"""The post change list's date hierarchy, without scanning a million rows.

Django's {% date_hierarchy %} asks for the first and last date of the change
list, then for every distinct year (or month, or day) in it: two sequential
scans of blog_post at a million posts (0.7 s in docs/performance.md). This
one reads the first published date from the date index, offers each
year from there to this one, each month of a year and each day of a month; a
period without posts shows an empty list.
"""

import calendar
import datetime

from django import template
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from apps.blog.models import Post

register = template.Library()


@register.inclusion_tag("admin/date_hierarchy.html")
def post_date_hierarchy(cl):
    field = cl.date_hierarchy
    year_field, month_field, day_field = f"{field}__year", f"{field}__month", f"{field}__day"
    year, month, day = (cl.params.get(name) for name in (year_field, month_field, day_field))

    def link(filters):
        return cl.get_query_string(filters, [f"{field}__"])

    if year and month and day:
        date = datetime.date(int(year), int(month), int(day))
        back = {"link": link({year_field: year, month_field: month}), "title": month_title(date)}
        choices = [{"title": capfirst(formats.date_format(date, "MONTH_DAY_FORMAT"))}]
    elif year and month:
        back = {"link": link({year_field: year}), "title": str(year)}
        choices = [
            {
                "link": link({year_field: year, month_field: month, day_field: day_number}),
                "title": capfirst(
                    formats.date_format(datetime.date(int(year), int(month), day_number), "MONTH_DAY_FORMAT")
                ),
            }
            for day_number in range(1, calendar.monthrange(int(year), int(month))[1] + 1)
        ]
    elif year:
        back = {"link": link({}), "title": _("All dates")}
        choices = [
            {
                "link": link({year_field: year, month_field: month_number}),
                "title": month_title(datetime.date(int(year), month_number, 1)),
            }
            for month_number in range(1, 13)
        ]
    else:
        first_published = (
            Post.objects.published().order_by("published_at").values_list("published_at", flat=True).first()
        )
        this_year = timezone.localtime().year
        first_year = timezone.localtime(first_published).year if first_published else this_year
        back = None
        choices = [
            {"link": link({year_field: str(year_number)}), "title": str(year_number)}
            for year_number in range(first_year, this_year + 1)
        ]
    return {"show": True, "back": back, "choices": choices}


def month_title(date):
    return capfirst(formats.date_format(date, "YEAR_MONTH_FORMAT"))
