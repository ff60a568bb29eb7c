"""{% cache %} with the syntax of Django's tag and the chapter's extras.

    {% load fragment_cache %}
    {% cache MIDDLE_TTL "post_list" LIST_VERSION page_number %}
      {% for post in posts %}
        {% cache LONG_TTL "post_teaser" post.id post.last_modified %}...{% endcache %}
      {% endfor %}
    {% endcache %}

Custom cache template tag: jittered timeouts, staff-only `?flush-the-cache`,
stale-while-rebuilding stampede protection and the BROADSHEET_CACHE switch all
live in apps.caching.fragments; this module only parses and resolves.
"""

from django import template

from apps.caching.fragments import render_fragment
from apps.caching.keys import fragment_key

register = template.Library()


class FragmentCacheNode(template.Node):
    def __init__(self, nodelist, timeout_expression, fragment_name, vary_on, cache_alias_expression):
        self.nodelist = nodelist
        self.timeout_expression = timeout_expression
        self.fragment_name = fragment_name
        self.vary_on = vary_on
        self.cache_alias_expression = cache_alias_expression

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
        cache_alias = "default"
        if self.cache_alias_expression is not None:
            cache_alias = self.cache_alias_expression.resolve(context)
        cache_key = fragment_key(self.fragment_name, [value.resolve(context) for value in self.vary_on])
        return render_fragment(
            request,
            self.fragment_name,
            cache_key,
            timeout,
            lambda: self.nodelist.render(context),
            cache_alias=cache_alias,
        )


@register.tag("cache")
def do_cache(parser, token):
    """{% cache timeout name [vary_on ...] [using="alias"] %} ... {% endcache %}"""
    nodelist = parser.parse(("endcache",))
    parser.delete_first_token()
    tokens = token.split_contents()
    if len(tokens) < 3:
        raise template.TemplateSyntaxError(f"{tokens[0]!r} tag requires a timeout and a fragment name.")
    cache_alias_expression = None
    if len(tokens) > 3 and tokens[-1].startswith("using="):
        cache_alias_expression = parser.compile_filter(tokens.pop().removeprefix("using="))
    fragment_name = tokens[2].strip("\"'")
    return FragmentCacheNode(
        nodelist,
        parser.compile_filter(tokens[1]),
        fragment_name,
        [parser.compile_filter(expression) for expression in tokens[3:]],
        cache_alias_expression,
    )
