""" "Most read": a Redis sorted set, read on every page without SQL.

Each read of a post is one atomic script, sent by the page's beacon so that
reads count even when the page itself comes from a cache (ours or a CDN's);
the title and URL the list shows (its card) are stored when the page renders.
A periodic task decays every score so that old favourites fade, and the list
is read with one round trip. The scores live in the cache Redis: derived data
the LRU may evict, never the broker's business. Redis down means no list and
no counting, never an error page.

The beacon is anonymous, so the list is guarded against rigging: a score is
the number of unique readers (client identities, apps/security/clients.py)
per post per day, counted with one HyperLogLog per post and day (at most
12 KB however many readers, a few dozen bytes for a post read a few times);
each IPv6 /48 may add at most DAILY_READS_PER_SITE reads a day; beacons are
rate limited per reader; and a post that stops being public is forgotten when
that commits.

Memory is bounded by time, not by the archive: cards live in one hash per
UTC day that expires after the next, so only posts rendered today or
yesterday have one, and the readers' HyperLogLogs expire with their day
(`make bench`, popularity, measures both at 1,000,000 posts).
"""

import datetime
import enum
import json
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from apps.security.clients import identity_of_address

from .models import Post

logger = logging.getLogger(__name__)

# A day's keys outlive the day by an hour, so yesterday's cards still answer
# until today's hash has every post being read.
DAY_KEY_TTL_SECONDS = 2 * 24 * 3600 + 3600
# Counted reads a day per IPv6 /48: one site cannot push a story by rotating
# through its 65,536 /64s (each a reader); a large office reading the day's
# news still fits. An IPv4 address is one reader, counted once per post and
# day already, so it needs no counter of its own.
DAILY_READS_PER_SITE = 500
# Beacons per reader (its client identity: an IPv4 address, or an IPv6 /64
# within a budget of its /48) in this window: a reader who reads this many
# posts a minute is a script; a newsroom or a campus behind one address still fits.
BEACONS_PER_WINDOW = 60
RATE_WINDOW_SECONDS = 60


def _today():
    return datetime.datetime.now(datetime.UTC).date()


def scores_key():
    # make_key adds the cache's prefix, so test runs and sites sharing a Redis never mix.
    return cache.make_key("popular-posts:scores")


def cards_key(day):
    return cache.make_key(f"popular-posts:cards:{day:%Y%m%d}")


def card_keys(day=None):
    """Today's and yesterday's card hashes: a post rendered in either is listed."""
    day = day or _today()
    return cards_key(day), cards_key(day - datetime.timedelta(days=1))


def readers_key(post_id, day=None):
    return cache.make_key(f"popular-posts:readers:{int(post_id)}:{day or _today():%Y%m%d}")


def site_reads_key(site, day=None):
    return cache.make_key(f"popular-posts:site-reads:{site}:{day or _today():%Y%m%d}")


def _redis():
    """The cache's Redis client, or None when the cache is not Redis (a DummyCache)."""
    try:
        return get_redis_connection("default")
    except NotImplementedError:
        return None


class BeaconOutcome(enum.Enum):
    COUNTED = "counted"
    ALREADY_COUNTED = "already-counted"
    # A beacon may name any id: only a post whose card a public render stored counts.
    NOT_LISTED = "not-listed"
    # The reader's IPv6 /48 has added DAILY_READS_PER_SITE reads today.
    CAPPED = "capped"
    RATE_LIMITED = "rate-limited"


# One round trip, atomic: count the reader's beacon against each budget of
# its identity, then add a listed post's new unique reader of the day, within
# the site's daily cap. The score grows by what the day's estimate of unique
# readers grew by (PFADD's own answer says only that a register changed).
# KEYS: scores, today's cards, yesterday's cards, this post's readers today,
#       the site's reads today, then one beacon counter per budget.
# ARGV: post id, reader, day key TTL, the site's daily cap (0: none), rate
#       window, then each budget's beacons per window.
COUNT_ONE_READ = """
local limited = false
for index = 6, #KEYS do
  local beacons = redis.call('INCR', KEYS[index])
  if beacons == 1 then redis.call('EXPIRE', KEYS[index], ARGV[5]) end
  if beacons > tonumber(ARGV[index]) then limited = true end
end
if limited then return 'rate-limited' end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 and redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 then
  return 'not-listed'
end
local before = redis.call('PFCOUNT', KEYS[4])
redis.call('PFADD', KEYS[4], ARGV[2])
local after = redis.call('PFCOUNT', KEYS[4])
if after <= before then return 'already-counted' end
if before == 0 then redis.call('EXPIRE', KEYS[4], ARGV[3]) end
if tonumber(ARGV[4]) > 0 then
  local site_reads = redis.call('INCR', KEYS[5])
  if site_reads == 1 then redis.call('EXPIRE', KEYS[5], ARGV[3]) end
  if site_reads > tonumber(ARGV[4]) then return 'capped' end
end
redis.call('ZINCRBY', KEYS[1], after - before, ARGV[1])
return 'counted'
"""


def beacon_budgets(identity):
    """[(counter key, beacons per window)] for each budget of the reader's ClientIdentity."""
    return [
        (cache.make_key(f"popular-posts:beacons:{network}"), limit)
        for network, limit in identity.budgets(BEACONS_PER_WINDOW)
    ]


def remember_post(post):
    """Store the title and URL the list shows in today's cards; done when a public post page renders."""
    card = json.dumps({"title": post.title, "url": post.get_absolute_url()})
    redis = _redis()
    if redis is None:
        return
    today_key, _yesterday_key = card_keys()
    try:
        pipeline = redis.pipeline(transaction=False)
        pipeline.hset(today_key, post.pk, card)
        pipeline.expire(today_key, DAY_KEY_TTL_SECONDS)
        pipeline.execute()
    except RedisError:
        logger.warning("Could not remember post %s for the most read list", post.pk, exc_info=True)


def count_post_view(post_id, client_address):
    """Count one read of a listed post by one reader: one atomic script, no SQL.

    Returns the BeaconOutcome, or None when Redis is down or not the cache.
    """
    redis = _redis()
    if redis is None:
        return None
    identity = identity_of_address(client_address)
    budgets = beacon_budgets(identity)
    keys = (
        scores_key(),
        *card_keys(),
        readers_key(post_id),
        site_reads_key(identity.site_network or identity.network),
        *(key for key, _limit in budgets),
    )
    try:
        outcome = redis.eval(
            COUNT_ONE_READ,
            len(keys),
            *keys,
            int(post_id),
            identity.network,
            DAY_KEY_TTL_SECONDS,
            DAILY_READS_PER_SITE if identity.site_network else 0,
            RATE_WINDOW_SECONDS,
            *(limit for _key, limit in budgets),
        )
    except RedisError:
        logger.warning("Could not count a view of post %s", post_id, exc_info=True)
        return None
    return BeaconOutcome(outcome.decode())


def most_read_posts(limit=5):
    """[{"id", "title", "url", "score"}], most read first; [] when Redis is down."""
    redis = _redis()
    if redis is None:
        return []
    today_key, yesterday_key = card_keys()
    try:
        ranked = redis.zrevrange(scores_key(), 0, limit - 1, withscores=True)
        post_ids = [post_id for post_id, _score in ranked]
        pipeline = redis.pipeline(transaction=False)
        pipeline.hmget(today_key, post_ids)
        pipeline.hmget(yesterday_key, post_ids)
        todays, yesterdays = pipeline.execute() if ranked else ([], [])
    except RedisError:
        logger.warning("Could not read the most read posts", exc_info=True)
        return []
    cards = [today or yesterday for today, yesterday in zip(todays, yesterdays, strict=True)]
    return [
        {**json.loads(card), "id": int(post_id), "score": score}
        for (post_id, score), card in zip(ranked, cards, strict=True)
        if card is not None
    ]


# Ids per ZREM/HDEL: a bulk unpublish of many posts stays a few bounded commands.
FORGET_BATCH = 1000


def forget_posts(post_ids):
    """Drop posts, score and cards, from the list (unpublished or deleted)."""
    post_ids = list(post_ids)
    redis = _redis()
    if not post_ids or redis is None:
        return
    pipeline = redis.pipeline(transaction=True)
    for start in range(0, len(post_ids), FORGET_BATCH):
        batch = post_ids[start : start + FORGET_BATCH]
        pipeline.zrem(scores_key(), *batch)
        for day_key in card_keys():
            pipeline.hdel(day_key, *batch)
    try:
        pipeline.execute()
    except RedisError:
        logger.warning("Could not forget posts %s in the most read list", post_ids[:10], exc_info=True)


def forget_posts_on_commit(post_ids):
    """Forget posts once the change that made them non-public has committed:
    a render before then may still show them, one after must not."""
    post_ids = list(post_ids)
    transaction.on_commit(lambda: forget_posts(post_ids), robust=True)


def decay_popular_posts(factor=None, min_score=None, now=None):
    """Multiply every score by the factor and drop the posts that faded away,
    once per decay period however often it runs (a second beat, a retried task).

    ZUNIONSTORE of the set onto itself with a weight scales every score in
    one atomic command. Posts no longer public (unpublished, deleted) are
    dropped too: the one SQL query of the feature, run here and never on a page.
    Returns how many posts remain, or None when this period was decayed already.
    """
    factor = settings.POPULAR_POSTS_DECAY_FACTOR if factor is None else factor
    min_score = settings.POPULAR_POSTS_MIN_SCORE if min_score is None else min_score
    every = settings.POPULAR_POSTS_DECAY_EVERY_SECONDS
    period = int((now or datetime.datetime.now(datetime.UTC)).timestamp() // every)
    redis = get_redis_connection("default")
    if not redis.set(cache.make_key(f"popular-posts:decayed:{period}"), 1, nx=True, ex=2 * every):
        return None
    key = scores_key()
    pipeline = redis.pipeline(transaction=True)
    pipeline.zunionstore(key, {key: factor})
    pipeline.zrangebyscore(key, "-inf", f"({min_score}")
    pipeline.zremrangebyscore(key, "-inf", f"({min_score}")
    pipeline.zrange(key, 0, -1)
    _count, faded_ids, _removed, remaining_ids = pipeline.execute()
    remaining_ids = {int(post_id) for post_id in remaining_ids}
    public_ids = set(Post.objects.published().filter(pk__in=remaining_ids).values_list("pk", flat=True))
    forget_posts([*faded_ids, *(remaining_ids - public_ids)])
    return len(public_ids)
