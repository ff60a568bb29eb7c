""" "Most read": a Redis sorted set, read on every page without SQL.

Each read of a post is one atomic ZINCRBY, sent by the page's beacon so that
reads count even when the page itself comes from a cache (ours or a CDN's);
the title and URL the list shows are stored when the page renders. A periodic
task decays every score so that old favourites fade, and the list is read
with one round trip. The scores live in
the cache Redis: derived data the LRU may evict, never the broker's business.
Redis down means no list and no counting, never an error page.
"""

import json
import logging

from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from .models import Post

logger = logging.getLogger(__name__)


def _keys():
    # make_key adds the cache's prefix, so test runs and sites sharing a Redis never mix.
    return cache.make_key("popular-posts:scores"), cache.make_key("popular-posts:cards")


def _redis():
    """The cache's Redis client, or None when the cache is not Redis (a DummyCache)."""
    try:
        return get_redis_connection("default")
    except NotImplementedError:
        return None


# A beacon may name any id: only a post whose card a public render stored is
# counted, checked and incremented in one atomic step.
COUNT_IF_REMEMBERED = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
end
return false
"""


def remember_post(post):
    """Store the title and URL the list shows; done when a public post page renders."""
    _scores_key, cards_key = _keys()
    card = json.dumps({"title": post.title, "url": post.get_absolute_url()})
    redis = _redis()
    if redis is None:
        return
    try:
        redis.hset(cards_key, post.pk, card)
    except RedisError:
        logger.warning("Could not remember post %s for the most read list", post.pk, exc_info=True)


def count_post_view(post_id):
    """Count one read of a remembered post: one atomic increment, no SQL."""
    scores_key, cards_key = _keys()
    redis = _redis()
    if redis is None:
        return
    try:
        redis.eval(COUNT_IF_REMEMBERED, 2, scores_key, cards_key, int(post_id))
    except RedisError:
        logger.warning("Could not count a view of post %s", post_id, exc_info=True)


def most_read_posts(limit=5):
    """[{"title", "url", "score"}], most read first; [] when Redis is down."""
    scores_key, cards_key = _keys()
    redis = _redis()
    if redis is None:
        return []
    try:
        ranked = redis.zrevrange(scores_key, 0, limit - 1, withscores=True)
        cards = redis.hmget(cards_key, [post_id for post_id, _score in ranked]) if ranked else []
    except RedisError:
        logger.warning("Could not read the most read posts", exc_info=True)
        return []
    return [
        {**json.loads(card), "score": score}
        for (_post_id, score), card in zip(ranked, cards, strict=True)
        if card is not None
    ]


def forget_posts(post_ids):
    """Drop posts from the list (unpublished or deleted)."""
    if not post_ids:
        return
    scores_key, cards_key = _keys()
    pipeline = get_redis_connection("default").pipeline(transaction=True)
    pipeline.zrem(scores_key, *post_ids)
    pipeline.hdel(cards_key, *post_ids)
    pipeline.execute()


def decay_popular_posts(factor=None, min_score=None):
    """Multiply every score by the factor and drop the posts that faded away.

    ZUNIONSTORE of the set onto itself with a weight scales every score in
    one atomic command. Posts no longer public (unpublished, deleted) are
    dropped too: the one SQL query of the feature, run here and never on a page.
    Returns how many posts remain.
    """
    factor = settings.POPULAR_POSTS_DECAY_FACTOR if factor is None else factor
    min_score = settings.POPULAR_POSTS_MIN_SCORE if min_score is None else min_score
    scores_key, _cards_key = _keys()
    redis = get_redis_connection("default")
    pipeline = redis.pipeline(transaction=True)
    pipeline.zunionstore(scores_key, {scores_key: factor})
    pipeline.zrangebyscore(scores_key, "-inf", f"({min_score}")
    pipeline.zremrangebyscore(scores_key, "-inf", f"({min_score}")
    pipeline.zrange(scores_key, 0, -1)
    _count, faded_ids, _removed, remaining_ids = pipeline.execute()
    remaining_ids = {int(post_id) for post_id in remaining_ids}
    public_ids = set(Post.objects.published().filter(pk__in=remaining_ids).values_list("pk", flat=True))
    forget_posts([*faded_ids, *(remaining_ids - public_ids)])
    return len(public_ids)
