"""Server-Timing for staff (or everyone, by config) and the slow-query log, on
real requests against the real database and Redis."""

import logging
import re

import pytest

from apps.ops.server_timing import sql_shape

pytestmark = pytest.mark.django_db

TIMING = re.compile(
    r'^total;dur=(?P<total>[\d.]+), db;dur=(?P<db>[\d.]+);desc="(?P<queries>\d+) quer(?:y|ies)", '
    r'cache;dur=[\d.]+;desc="(?P<hits>\d+) hits?, (?P<misses>\d+) miss(?:es)?", '
    r"render;dur=(?P<render>[\d.]+)$"
)


def timing(response):
    match = TIMING.match(response["Server-Timing"])
    assert match, response["Server-Timing"]
    return {name: float(value) for name, value in match.groupdict().items()}


def test_anonymous_readers_get_no_server_timing_by_default(client, post_factory):
    post_factory()
    assert "Server-Timing" not in client.get("/")


def test_staff_see_where_a_page_spends_its_time(admin_client, post_factory):
    post_factory()

    page = timing(admin_client.get("/"))

    # The staff user, the sections, the teasers, their tags; fragment reads that missed.
    assert page["queries"] == 4
    assert page["misses"] >= 1
    assert 0 < page["db"] < page["total"]
    assert 0 < page["render"] < page["total"]


def test_config_turns_it_on_for_everyone(client, settings, post_factory):
    settings.SERVER_TIMING_PUBLIC = True
    post_factory()

    cold = timing(client.get("/"))
    warm = timing(client.get("/"))

    assert cold["queries"] == 3
    assert cold["misses"] >= 1
    assert warm["queries"] == 0
    assert warm["render"] == 0


def test_a_query_over_the_threshold_is_logged_with_the_view_and_its_shape(
    client, settings, caplog, post_factory
):
    post = post_factory()
    settings.SLOW_QUERY_MILLISECONDS = 0

    with caplog.at_level(logging.WARNING, logger="broadsheet.slow_queries"):
        client.get(post.get_absolute_url())

    lines = [record.getMessage() for record in caplog.records if record.name == "broadsheet.slow_queries"]
    assert lines
    first = re.match(r"^slow_query ms=[\d.]+ view=(?P<view>\S+) sql=(?P<sql>.+)$", lines[0])
    assert first["view"] == "blog:post"
    assert first["sql"].startswith("SELECT ")
    assert post.slug not in " ".join(lines)


def test_fast_queries_are_not_logged(client, caplog, post_factory):
    post_factory()
    with caplog.at_level(logging.WARNING, logger="broadsheet.slow_queries"):
        client.get("/")
    assert not [record for record in caplog.records if record.name == "broadsheet.slow_queries"]


def test_the_sql_shape_keeps_no_parameter_or_literal():
    assert (
        sql_shape(
            'SELECT "blog_post"."id" FROM "blog_post" WHERE ("blog_post"."slug" = %s AND "blog_post"."id" IN '
            "(%s, %s, %s) AND status = 'published' AND x > 3.5)\n  LIMIT 21"
        )
        == 'SELECT "blog_post"."id" FROM "blog_post" WHERE ("blog_post"."slug" = ? AND "blog_post"."id" IN '
        "(?, …) AND status = ? AND x > ?) LIMIT ?"
    )
