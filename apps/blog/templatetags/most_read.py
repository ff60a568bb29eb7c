from django import template

from ..popularity import most_read_posts

register = template.Library()


@register.inclusion_tag("inc/post/most_read.html")
def most_read(limit=5):
    """{% most_read 5 %}: the list from Redis, one round trip, no SQL."""
    return {"most_read_posts": most_read_posts(limit)}
