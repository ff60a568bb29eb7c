"""{% cache %} with the syntax of Django's tag and the chapter's extras.

    {% load fragment_cache %}
    {% cache MIDDLE_TTL "post_list" LIST_VERSION list_key page.canonical_query %}
      {% for post in page %}
        {% cache LONG_TTL "post_teaser" post.id post.last_modified %}...{% endcache %}
      {% endfor %}
    {% endcache %}

Custom cache template tag: jittered timeouts, the staff-only `?flush-the-cache`,
stale-while-rebuilding stampede protection, the list-version stamp and the
BROADSHEET_CACHE switch all live in apps/caching/pipeline.py (layer 6); this
module only parses and resolves.
"""

from django import template

from apps.caching.edge import add_edge_keys
from apps.caching.pipeline import cached_fragment

register = template.Library()


class FragmentCacheNode(template.Node):
    def __init__(self, nodelist, timeout_expression, fragment_name, vary_on):
        self.nodelist = nodelist
        self.timeout_expression = timeout_expression
        self.fragment_name = fragment_name
        self.vary_on = vary_on

    def render(self, context):
        request = context.get("request")
        if request is None:
            raise template.TemplateSyntaxError(
                "{% cache %} needs `request` in the context: render with a RequestContext "
                "and django.template.context_processors.request."
            )
        timeout = self.timeout_expression.resolve(context)
        if timeout is not None and not isinstance(timeout, int):
            raise template.TemplateSyntaxError(
                f"{{% cache %}} timeout must be a number of seconds, got {timeout!r}"
            )
        vary_on = [expression.resolve(context) for expression in self.vary_on]
        return cached_fragment(
            request, self.fragment_name, vary_on, timeout, lambda: self.nodelist.render(context)
        )


@register.tag("cache")
def do_cache(parser, token):
    """{% cache timeout name [vary_on ...] %} ... {% endcache %}"""
    nodelist = parser.parse(("endcache",))
    parser.delete_first_token()
    tokens = token.split_contents()
    if len(tokens) < 3:
        raise template.TemplateSyntaxError(f"{tokens[0]!r} tag requires a timeout and a fragment name.")
    fragment_name = tokens[2].strip("\"'")
    return FragmentCacheNode(
        nodelist,
        parser.compile_filter(tokens[1]),
        fragment_name,
        [parser.compile_filter(expression) for expression in tokens[3:]],
    )


@register.simple_tag(takes_context=True)
def edge_key(context, *parts):
    """{% edge_key "post" post.id %}: the page shows this (the key "post-12" of
    apps/caching/edge.py), so a purge of the key reaches it. Inside a {% cache %}
    the key is stored with the fragment and counts on every hit."""
    request = context.get("request")
    # Rendered outside a request (a mail, a test), there is no page to name it in.
    if request is not None:
        add_edge_keys(request, "-".join(str(part) for part in parts))
    return ""
