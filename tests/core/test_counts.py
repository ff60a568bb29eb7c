import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.counts import (
    RowCount,
    estimated_table_rows,
    queryset_row_count,
    table_row_count,
)


def analyze(table_name):
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table_name)}")


def count_queries(captured):
    return [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"].upper()]


@pytest.mark.django_db
def test_a_never_analysed_table_reports_minus_one_until_analyze():
    """PostgreSQL 14+ says -1, not 0, before the first ANALYZE: the fallback must know it."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE count_probe (id integer)")
        assert estimated_table_rows("count_probe") == -1
        cursor.execute("INSERT INTO count_probe SELECT generate_series(1, 500)")
        analyze("count_probe")
    assert estimated_table_rows("count_probe") == 500


@pytest.mark.django_db
def test_large_table_count_comes_from_reltuples_without_count_star():
    analyze(Permission._meta.db_table)
    exact = Permission.objects.count()

    with CaptureQueriesContext(connection) as captured:
        row_count = table_row_count(Permission, exact_below=10)

    assert row_count == RowCount(exact, is_approximate=True)
    assert count_queries(captured) == []
    assert "pg_class" in captured.captured_queries[0]["sql"]


@pytest.mark.django_db
def test_table_below_threshold_is_counted_exactly():
    analyze(Permission._meta.db_table)

    with CaptureQueriesContext(connection) as captured:
        row_count = table_row_count(Permission, exact_below=1_000_000)

    assert row_count == RowCount(Permission.objects.count(), is_approximate=False)
    assert len(count_queries(captured)) == 1


@pytest.mark.django_db
def test_never_analysed_large_table_falls_back_to_exact_count():
    """Simulates the state right after a bulk load, before ANALYZE (rolled back with the test)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_class SET reltuples = -1 WHERE oid = to_regclass(%s)", [Permission._meta.db_table]
        )

    row_count = table_row_count(Permission, exact_below=10)

    assert row_count == RowCount(Permission.objects.count(), is_approximate=False)


@pytest.mark.django_db
def test_filtered_queryset_uses_planner_estimate_when_large():
    analyze(Permission._meta.db_table)
    permissions = Permission.objects.filter(codename__startswith="")

    with CaptureQueriesContext(connection) as captured:
        row_count = queryset_row_count(permissions, exact_below=10)

    assert row_count.is_approximate
    assert row_count.value > 10
    assert count_queries(captured) == []
    assert captured.captured_queries[0]["sql"].startswith("EXPLAIN")


@pytest.mark.django_db
def test_filtered_queryset_is_counted_exactly_when_small():
    analyze(Permission._meta.db_table)
    add_permissions = Permission.objects.filter(codename__startswith="add_")

    row_count = queryset_row_count(add_permissions, exact_below=1_000_000)

    assert row_count == RowCount(add_permissions.count(), is_approximate=False)


def test_approximate_counts_read_about():
    assert str(RowCount(1_000_000, is_approximate=True)) == "about 1,000,000"
    assert str(RowCount(1_234, is_approximate=False)) == "1,234"
