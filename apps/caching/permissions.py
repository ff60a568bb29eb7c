"""Who may use the editorial tools that act on the public site."""

# Stored on the blog's Post content type (apps/blog/migrations/0008_editors_flush_and_images.py):
# Django hangs permissions off a model, and core has none.
FLUSH_CACHE_PERMISSION = "blog.flush_cache"


def can_flush_cache(user):
    """The editorial `?flush-the-cache`: staff with the dedicated permission only.

    Anyone else asking must not make a request render uncached (a
    denial-of-service door). has_perm reads the user's permissions once per
    request, and only runs when the flush parameter is present."""
    return user.is_authenticated and user.is_staff and user.has_perm(FLUSH_CACHE_PERMISSION)
