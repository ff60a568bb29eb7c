"""A change-list paginator that never counts a big table row by row.

Django's admin paginator asks for `count` on every change list: on the
unfiltered list that is SELECT COUNT(*) over the whole table, whatever
`show_full_result_count` says. This one answers from PostgreSQL's estimates
when the table is large and counts exactly only when that is cheap.
"""

from django.core.paginator import EmptyPage, Paginator
from django.utils.functional import cached_property

from .counts import EXACT_COUNT_BELOW, queryset_row_count


class ApproximateCountPaginator(Paginator):
    exact_count_below = EXACT_COUNT_BELOW

    @cached_property
    def row_count(self):
        """The RowCount behind `count`: its value, and whether it is "about"."""
        return queryset_row_count(self.object_list, exact_below=self.exact_count_below)

    @cached_property
    def count(self):
        return self.row_count.value

    def validate_number(self, number):
        """Past an estimated last page there may still be rows: let the page be empty, not an error."""
        try:
            return super().validate_number(number)
        except EmptyPage:
            if self.row_count.is_approximate and int(number) > 0:
                return int(number)
            raise
