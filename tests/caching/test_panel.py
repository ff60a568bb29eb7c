from django.http import HttpResponse

from apps.caching.keys import fragment_key
from tests.support.rendering import render_template


def test_toolbar_panel_lists_each_fragment_with_its_outcome(anonymous_request, settings):
    """Local development's debug toolbar shows hits and misses per fragment."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "debug_toolbar"]
    from debug_toolbar.toolbar import DebugToolbar

    request = anonymous_request()
    source = "{% cache 600 post_teaser 1 %}x{% endcache %}"

    def get_response(request):
        render_template(source, request)
        render_template(source, request)
        return HttpResponse()

    panel = DebugToolbar(request, get_response).get_panel_by_id("FragmentCachePanel")
    panel.enable_instrumentation()
    response = get_response(request)
    panel.disable_instrumentation()
    panel.generate_stats(request, response)

    key = fragment_key("post_teaser", [1])
    assert panel.get_stats()["fragments"] == [
        {"name": "post_teaser", "key": key, "outcome": "miss"},
        {"name": "post_teaser", "key": key, "outcome": "hit"},
    ]
    assert panel.nav_subtitle == "1 hits, 1 rendered"
    assert "post_teaser" in panel.content
