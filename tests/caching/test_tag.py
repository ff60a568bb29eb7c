import hashlib
import logging

import pytest
from django.core.cache import cache
from django.template import TemplateSyntaxError

from apps.blog.models import Category
from apps.caching.keys import fragment_key
from apps.caching.list_version import bump_list_version
from apps.caching.pipeline import jitter
from tests.support.rendering import CountingValue, render_template


def test_tag_has_the_syntax_of_djangos_cache_tag(anonymous_request):
    value = CountingValue()
    source = '{% cache 600 "greeting" 1 "two" %}{{ value }}{% endcache %}'

    first = render_template(source, anonymous_request(), value=value)
    second = render_template(source, anonymous_request(), value=value)

    assert first == second == "fresh1"
    assert value.renders == 1


def test_fragment_key_names_the_fragment_and_hashes_what_it_varies_on(anonymous_request):
    render_template('{% cache 600 post_teaser 7 "2026-01-01" %}x{% endcache %}', anonymous_request())

    key = fragment_key("post_teaser", [7, "2026-01-01"])
    vary_on_digest = hashlib.md5(b'["7", "2026-01-01"]', usedforsecurity=False).hexdigest()
    assert key == f"fragment:post_teaser:{vary_on_digest}"
    assert cache.get(key)[0] == "x"


def test_each_vary_on_value_gets_its_own_fragment(anonymous_request):
    source = "{% cache 600 post_teaser post_id %}{{ value }}{% endcache %}"
    value = CountingValue()

    one = render_template(source, anonymous_request(), value=value, post_id=1)
    two = render_template(source, anonymous_request(), value=value, post_id=2)

    assert (one, two) == ("fresh1", "fresh2")
    assert fragment_key("post_teaser", [1]) != fragment_key("post_teaser", [2])


@pytest.mark.django_db
def test_model_instances_are_refused_as_vary_on_values(anonymous_request):
    """str() of an instance is its name, which does not change when the row does."""
    category = Category(id=1, name="News", slug="news")

    with pytest.raises(TypeError, match="pass its id and last_modified"):
        render_template(
            "{% cache 600 teaser category %}x{% endcache %}",
            anonymous_request(),
            category=category,
        )


def test_querysets_are_refused_as_vary_on_values(anonymous_request):
    with pytest.raises(TypeError, match="QuerySet"):
        render_template(
            "{% cache 600 teaser categories %}x{% endcache %}",
            anonymous_request(),
            categories=Category.objects.all(),
        )


def test_tag_requires_a_timeout_and_a_name():
    with pytest.raises(TemplateSyntaxError, match="requires a timeout and a fragment name"):
        render_template("{% cache 600 %}x{% endcache %}", None)


def test_timeout_must_be_a_number(anonymous_request):
    with pytest.raises(TemplateSyntaxError, match="number of seconds"):
        render_template('{% cache "soon" teaser %}x{% endcache %}', anonymous_request())


def test_ttl_constants_reach_every_template(anonymous_request, settings):
    source = "{{ SHORT_TTL }} {{ MIDDLE_TTL }} {{ LONG_TTL }} {{ FOREVER_TTL }}"
    rendered = render_template(source, anonymous_request())

    expected = [settings.CACHE_TTL_SHORT, settings.CACHE_TTL_MIDDLE, settings.CACHE_TTL_LONG]
    assert rendered.split() == [str(seconds) for seconds in [*expected, settings.CACHE_TTL_FOREVER]]


def test_ttl_constants_set_the_fragment_timeout_with_jitter(anonymous_request):
    render_template("{% cache MIDDLE_TTL teaser %}x{% endcache %}", anonymous_request())

    hard_ttl = cache.ttl(fragment_key("teaser", []))
    # Fresh for 1800 s ± 20%, kept twice that long as the stale copy.
    assert 2 * 1440 - 2 <= hard_ttl <= 2 * 2160


def test_jitter_stays_within_twenty_percent_and_varies():
    timeouts = {jitter(1000) for _ in range(500)}

    assert min(timeouts) >= 800
    assert max(timeouts) <= 1200
    assert len(timeouts) > 100


def test_cache_switch_off_renders_every_time(anonymous_request, settings):
    settings.CACHE_ENABLED = False
    value = CountingValue()
    source = "{% cache 600 teaser %}{{ value }}{% endcache %}"

    render_template(source, anonymous_request(), value=value)
    render_template(source, anonymous_request(), value=value)

    assert value.renders == 2
    assert cache.get(fragment_key("teaser", [])) is None


def test_each_fragment_read_is_logged_at_debug_for_the_toolbar(anonymous_request, caplog):
    source = "{% cache 600 teaser %}x{% endcache %}"
    with caplog.at_level(logging.DEBUG, logger="apps.caching.pipeline"):
        render_template(source, anonymous_request())
        render_template(source, anonymous_request())

    outcomes = [record.getMessage().split()[3] for record in caplog.records]
    assert outcomes == ["miss", "hit"]


def test_nested_fragments_reuse_the_inner_copy_when_the_outer_one_misses(anonymous_request):
    """Russian doll: a new list version rebuilds the list, not its teasers."""
    teaser = CountingValue("teaser")
    source = (
        "{% cache MIDDLE_TTL post_list LIST_VERSION %}[{% cache LONG_TTL post_teaser 1 %}{{ teaser }}"
        "{% endcache %}]{% endcache %}"
    )
    before = render_template(source, anonymous_request(), teaser=teaser)
    bump_list_version()
    after = render_template(source, anonymous_request(), teaser=teaser)

    assert before == after == "[teaser1]"
    assert teaser.renders == 1
