"""Pagination without COUNT(*): keyset pages for lists, capped offset pages for search.

Counts are notoriously slow, and OFFSET makes page 500 read 10,000 rows to throw
them away. Lists are ordered by a unique, non-null key (published_at DESC,
id DESC) with a matching index, so a page is "the next N+1 rows after this
key": the index is entered at the key and read for one page, whatever the
depth, and the extra row says whether a next page exists.

Links carry the key of the boundary row, `?after=<cursor>` (older) and
`?before=<cursor>` (newer), never a page number. The rows a link shows only
change when a post is published or removed inside that page, so page URLs stay
cacheable, and ties on published_at never skip or repeat a row (no offset
tie-breaking, unlike DRF's cursor paginator).

Laziness: a view builds the page object without touching the database and
hands it to the template; the one query runs when the template first iterates
the page or asks has_next, so a cached fragment that never looks costs nothing.

A cursor is "<published_at as integer microseconds since the epoch>.<id>", in
ASCII digits, and must name a row of the list: the page's one query starts at
the cursor's own row, so a made-up cursor costs no extra query and is a 404.
Anything else (letters, negative, zero-length, out of range) is a 404, as is an
empty page that is not the first one (and an empty first page of a list that
only exists while it has posts, such as an archive month). canonical_cursor() gives a
cursor's one spelling (no leading zeros), so that the caching pipeline can send
every other spelling of a page to its canonical URL.
"""

import datetime
import re
from urllib.parse import urlencode

from django.db.models import BooleanField, DateTimeField, F, Func, Value
from django.http import Http404
from django.utils.functional import cached_property

# At most 17 digits of microseconds (before the year 5000) and 18 of id (below
# bigint's limit): every cursor that matches is a valid datetime and id.
# ASCII digits only, matched whole (fullmatch: `$` would also match before a newline).
CURSOR_PATTERN = re.compile(r"([0-9]{1,17})\.([0-9]{1,18})")
# A page number of search results or sitemaps: 1 to 999,999.
PAGE_NUMBER_PATTERN = re.compile(r"[0-9]{1,6}")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class RowComparison(Func):
    """`(a, b) < (x, y)`: one row comparison the composite index can seek to.

    The OR form (a < x OR (a = x AND b < y)) is equivalent but the planner
    cannot use it as a single index range.
    """

    output_field = BooleanField()

    def __init__(self, columns, operator, values, **extra):
        self.operator = operator
        self.width = len(columns)
        super().__init__(*columns, *values, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        columns, values = parts[: self.width], parts[self.width :]
        return f"({', '.join(columns)}) {self.operator} ({', '.join(values)})", params


def encode_cursor(published_at, pk):
    delta = published_at - EPOCH
    microseconds = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{microseconds}.{pk}"


def decode_cursor(cursor):
    """(datetime, id) from a cursor string, or Http404."""
    match = CURSOR_PATTERN.fullmatch(cursor)
    if not match:
        raise Http404("Malformed page cursor.")
    microseconds, pk = (int(group) for group in match.groups())
    return EPOCH + datetime.timedelta(microseconds=microseconds), pk


def canonical_cursor(cursor):
    """The one spelling of a cursor, for a page's canonical URL; Http404 if malformed."""
    return encode_cursor(*decode_cursor(cursor))


def canonical_page_number(number):
    """`?page=` or a sitemap's `?p=` spelled one way: None for the first page
    (its URL has no number), Http404 for anything but a positive integer."""
    if not PAGE_NUMBER_PATTERN.fullmatch(number) or int(number) < 1:
        raise Http404("Invalid page number.")
    return None if int(number) == 1 else str(int(number))


class LazyPage:
    """What a template reads of a page: its rows, evaluated on first use.

    Subclasses define `_rows_and_more`: (the page's rows, whether a next page
    exists), from one query of per_page + 1 rows.
    """

    @property
    def object_list(self):
        return self._rows_and_more[0]

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def __bool__(self):
        return bool(self.object_list)

    @property
    def has_other_pages(self):
        return self.has_next or self.has_previous


class KeysetPage(LazyPage):
    """One page of a queryset ordered newest first by (published_at, id).

    Built from the request's query string; evaluated on first use.
    """

    def __init__(self, queryset, query_params, per_page, allow_empty_first_page=True):
        self.queryset = queryset
        self.query_params = query_params
        self.per_page = per_page
        self.allow_empty_first_page = allow_empty_first_page
        after = query_params.get("after")
        before = query_params.get("before")
        if after is not None and before is not None:
            raise Http404("A page is either after or before a cursor.")
        self.direction = "after" if after is not None else "before" if before is not None else None
        self.cursor = decode_cursor(after if after is not None else before) if self.direction else None

    @property
    def is_first(self):
        return self.direction is None

    @property
    def canonical_query(self):
        """The page's own cursor alone, for <link rel="canonical">; no query needed."""
        if self.direction is None:
            return ""
        return "?" + urlencode({self.direction: self.query_params[self.direction]})

    @property
    def page_queryset(self):
        """The one query this page runs (for EXPLAIN too): per_page + 1 rows, and
        on a cursor page the cursor's own row first, which proves the cursor."""
        if self.direction is None:
            return self.queryset.order_by("-published_at", "-id")[: self.per_page + 1]
        published_at, pk = self.cursor
        columns = (F("published_at"), F("id"))
        values = (Value(published_at, output_field=DateTimeField()), Value(pk))
        if self.direction == "after":
            newest_first = self.queryset.filter(RowComparison(columns, "<=", values))
            return newest_first.order_by("-published_at", "-id")[: self.per_page + 2]
        oldest_first = self.queryset.filter(RowComparison(columns, ">=", values))
        return oldest_first.order_by("published_at", "id")[: self.per_page + 2]

    @cached_property
    def _rows_and_more(self):
        """The page's rows newest first, and whether another page lies beyond them."""
        rows = list(self.page_queryset)
        if self.direction is not None:
            # Only a row of this list makes a page: a made-up cursor would be a
            # new page (and a new cache entry) for every number a stranger tries.
            if not rows or (rows[0].published_at, rows[0].pk) != self.cursor:
                raise Http404("No such page.")
            rows = rows[1:]
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if self.direction == "before":
            rows.reverse()
        if not rows and (self.direction is not None or not self.allow_empty_first_page):
            raise Http404("No posts on this page.")
        return rows, more

    @property
    def has_next(self):
        """Older posts exist (always true when we came back from them)."""
        return self._rows_and_more[1] if self.direction != "before" else True

    @property
    def has_previous(self):
        if self.direction is None:
            return False
        return self._rows_and_more[1] if self.direction == "before" else True

    def _query_string(self, **cursor):
        params = {key: value for key, value in self.query_params.items() if key not in ("after", "before")}
        params.update(cursor)
        # Sorted by name, the canonical order of page queries (apps/caching/pipeline.py).
        return "?" + urlencode(sorted(params.items())) if params else "?"

    @property
    def next_query(self):
        last = self.object_list[-1]
        return self._query_string(after=encode_cursor(last.published_at, last.pk))

    @property
    def previous_query(self):
        first = self.object_list[0]
        return self._query_string(before=encode_cursor(first.published_at, first.pk))


class OffsetPage(LazyPage):
    """A count-free numbered page for lists with no index order (ranked search).

    Fetches per_page + 1 rows; `?page=` must be a plain integer from 1 to
    max_pages, anything else is a 404. Deep offsets are refused rather than
    made cheap: nobody reads result 10,000 of a search.
    """

    def __init__(self, queryset, query_params, per_page, max_pages):
        self.number = int(canonical_page_number(query_params.get("page", "1")) or 1)
        if not 1 <= self.number <= max_pages:
            raise Http404("Invalid page number.")
        self.queryset = queryset
        self.query_params = query_params
        self.per_page = per_page
        self.max_pages = max_pages

    @property
    def page_queryset(self):
        start = (self.number - 1) * self.per_page
        return self.queryset[start : start + self.per_page + 1]

    @cached_property
    def _rows_and_more(self):
        rows = list(self.page_queryset)
        if not rows and self.number > 1:
            raise Http404("No results on this page.")
        return rows[: self.per_page], len(rows) > self.per_page and self.number < self.max_pages

    @property
    def is_first(self):
        return self.number == 1

    @property
    def has_next(self):
        return self._rows_and_more[1]

    @property
    def has_previous(self):
        return self.number > 1

    def _query_string(self, number):
        params = {key: value for key, value in self.query_params.items() if key != "page"}
        if number > 1:
            params["page"] = number
        # Sorted by name, the canonical order of page queries (apps/caching/pipeline.py).
        return "?" + urlencode(sorted(params.items())) if params else "?"

    @property
    def next_query(self):
        return self._query_string(self.number + 1)

    @property
    def previous_query(self):
        return self._query_string(self.number - 1)
