"""Counts that stay cheap on big tables.

An exact COUNT(*) reads every row: on a million posts it is the slowest query
of a page that shows a total. Where a total is only there to orient a reader
("about 1,000,000 posts"), PostgreSQL's own estimates answer at once.
"""

import json
from dataclasses import dataclass

from django.db import connections

# Below this many rows an exact COUNT(*) is cheap, and a reader may notice
# a wrong small number; above it nobody needs the last digit.
EXACT_COUNT_BELOW = 10_000


@dataclass(frozen=True)
class RowCount:
    value: int
    is_approximate: bool

    def __str__(self):
        return f"about {self.value:,}" if self.is_approximate else f"{self.value:,}"


def estimated_table_rows(table_name, using="default"):
    """PostgreSQL's estimate of the table's rows; -1 if never analysed (PostgreSQL 14+)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [connections[using].ops.quote_name(table_name)],
        )
        row = cursor.fetchone()
    return -1 if row is None else int(row[0])


def estimated_query_rows(queryset):
    """The planner's estimate of how many rows the queryset returns (EXPLAIN, not run)."""
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def table_row_count(model, *, exact_below=EXACT_COUNT_BELOW, using="default"):
    """How many rows the table holds: pg_class.reltuples when large, else COUNT(*).

    Approximate counts from pg_class.reltuples (the chapter's technique): the
    statistics ANALYZE and autovacuum keep, read in a millisecond however big
    the table. A table never analysed reports -1 and an empty one 0; both fall
    back to the exact count, as does anything under `exact_below`.
    """
    estimate = estimated_table_rows(model._meta.db_table, using=using)
    if estimate < exact_below:
        return RowCount(model._base_manager.using(using).count(), is_approximate=False)
    return RowCount(estimate, is_approximate=True)


def queryset_row_count(queryset, *, exact_below=EXACT_COUNT_BELOW):
    """How many rows the queryset returns, without a full COUNT(*) when that is large.

    An unfiltered queryset is the whole table (reltuples); a filtered one asks
    the planner for its estimate, then counts exactly only when that is small.
    """
    if not queryset.query.where and not queryset.query.distinct and not queryset.query.combinator:
        return table_row_count(queryset.model, exact_below=exact_below, using=queryset.db)
    estimate = estimated_query_rows(queryset)
    if estimate < exact_below:
        return RowCount(queryset.count(), is_approximate=False)
    return RowCount(estimate, is_approximate=True)
