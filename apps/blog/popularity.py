""" "Most read": a Redis sorted set, read on every page without SQL.

Each read of a post is one atomic ZINCRBY, sent by the page's beacon so that
reads count even when the page itself comes from a cache (ours or a CDN's);
the title and URL the list shows are stored when the page renders. A periodic
task decays every score so that old favourites fade, and the list is read
with one round trip. The scores live in
the cache Redis: derived data the LRU may evict, never the broker's business.
Redis down means no list and no counting, never an error page.

The beacon is anonymous, so the list is guarded against rigging: one read
per reader and post per window (a SET NX with a TTL), a rate limit per
reader, and a post that stops being public is forgotten when that commits.
"""

import enum
import ipaddress
import json
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
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


# One read per reader and post in this window: reloading a page or replaying
# its beacon adds nothing.
READ_WINDOW_SECONDS = 30 * 60
# Beacons per reader (an IPv4 address or an IPv6 /64) in this window: a
# reader who reads this many posts a minute is a script; a newsroom or a
# campus behind one address still fits.
BEACONS_PER_WINDOW = 60
RATE_WINDOW_SECONDS = 60


class BeaconOutcome(enum.Enum):
    COUNTED = "counted"
    ALREADY_COUNTED = "already-counted"
    # A beacon may name any id: only a post whose card a public render stored counts.
    NOT_LISTED = "not-listed"
    RATE_LIMITED = "rate-limited"


# One round trip, atomic: count the reader's beacon against its rate limit,
# then increment only a listed post this reader has not read in the window.
# KEYS: scores, cards, this reader's read of this post, this reader's beacons.
# ARGV: post id, read window, beacons per window, rate window.
COUNT_ONE_READ = """
local beacons = redis.call('INCR', KEYS[4])
if beacons == 1 then redis.call('EXPIRE', KEYS[4], ARGV[4]) end
if beacons > tonumber(ARGV[3]) then return 'rate-limited' end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 'not-listed' end
if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[2]) then return 'already-counted' end
redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
return 'counted'
"""


def reader(client_address):
    """Who a limit applies to: the IPv4 address, or the IPv6 /64 network,
    which one host usually holds whole and could rotate through."""
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return client_address
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def read_key(post_id, client_address):
    return cache.make_key(f"popular-posts:read:{int(post_id)}:{reader(client_address)}")


def beacons_key(client_address):
    return cache.make_key(f"popular-posts:beacons:{reader(client_address)}")


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


def count_post_view(post_id, client_address):
    """Count one read of a listed post by one reader: one atomic script, no SQL.

    Returns the BeaconOutcome, or None when Redis is down or not the cache.
    """
    scores_key, cards_key = _keys()
    redis = _redis()
    if redis is None:
        return None
    keys = (scores_key, cards_key, read_key(post_id, client_address), beacons_key(client_address))
    try:
        outcome = redis.eval(
            COUNT_ONE_READ,
            len(keys),
            *keys,
            int(post_id),
            READ_WINDOW_SECONDS,
            BEACONS_PER_WINDOW,
            RATE_WINDOW_SECONDS,
        )
    except RedisError:
        logger.warning("Could not count a view of post %s", post_id, exc_info=True)
        return None
    return BeaconOutcome(outcome.decode())


def most_read_posts(limit=5):
    """[{"id", "title", "url", "score"}], most read first; [] when Redis is down."""
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
        {**json.loads(card), "id": int(post_id), "score": score}
        for (post_id, score), card in zip(ranked, cards, strict=True)
        if card is not None
    ]


# Ids per ZREM/HDEL: a bulk unpublish of many posts stays a few bounded commands.
FORGET_BATCH = 1000


def forget_posts(post_ids):
    """Drop posts, score and card, from the list (unpublished or deleted)."""
    post_ids = list(post_ids)
    redis = _redis()
    if not post_ids or redis is None:
        return
    scores_key, cards_key = _keys()
    pipeline = redis.pipeline(transaction=True)
    for start in range(0, len(post_ids), FORGET_BATCH):
        batch = post_ids[start : start + FORGET_BATCH]
        pipeline.zrem(scores_key, *batch)
        pipeline.hdel(cards_key, *batch)
    try:
        pipeline.execute()
    except RedisError:
        logger.warning("Could not forget posts %s in the most read list", post_ids[:10], exc_info=True)


def forget_posts_on_commit(post_ids):
    """Forget posts once the change that made them non-public has committed:
    a render before then may still show them, one after must not."""
    post_ids = list(post_ids)
    transaction.on_commit(lambda: forget_posts(post_ids), robust=True)


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
