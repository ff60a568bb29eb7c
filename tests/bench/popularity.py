"""Issue 20's "most read, bounded": the Redis memory of the list at 1,000,000 posts.

A day on which every post of a 1M archive is rendered once and read once
(the worst case a crawler and its readers can make): the real remember_post
and count_post_view write into a Redis of this scenario's own (no memory
limit, so nothing is evicted while measuring), and Redis's used_memory is
read after each part. Side by side with the design it replaced, replayed
with the same cards in the same Redis: one hash of cards never trimmed, and
one SET NX EX key per reader and post.

The scenario runs this module twice: imported (no Django) to start Redis and
write the report, and as `python -m tests.bench.popularity PORT POSTS` with
the local settings pointed at that Redis, to measure.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

from project.services.processes import free_port
from project.services.redis_server import RedisServer, redis_command

from .harness import json_from_module, machine_description, markdown_table, say, today

NAME = "popularity"
POSTS = int(os.environ.get("BENCH_POPULARITY_POSTS", "1000000"))
# A headline and slug of the seeded posts' length (seed_demo: about 50 and 55 characters).
TITLE = "Harbour council approves the new ferry terminal, no. {}"
SLUG = "harbour-council-approves-the-new-ferry-terminal-{}"


def run(databases):
    with tempfile.TemporaryDirectory(prefix="bench-popularity-") as directory:
        redis = RedisServer(
            "bench-popularity", free_port(), Path(directory), ["--appendonly", "no"], keeps_data=False
        )
        redis.start()
        try:
            say(f"popularity: {POSTS:,} posts rendered and read once, in Redis on port {redis.port}")
            env = {
                **os.environ,
                "BROADSHEET_REDIS_CACHE_PORT": str(redis.port),
                "DJANGO_SETTINGS_MODULE": "project.settings.local",
            }
            figures = json_from_module("tests.bench.popularity", str(redis.port), str(POSTS), env=env)
        finally:
            redis.stop()
    return report(figures)


def report(figures):
    posts = figures["posts"]

    def megabytes(value):
        return f"{value / 1024 / 1024:.1f}"

    rows = [
        [
            "cards (title and URL)",
            megabytes(figures["old_cards"]),
            megabytes(figures["new_cards"]),
            "never trimmed: one entry per post ever rendered",
            "today's and yesterday's hash: posts rendered in the last two days",
        ],
        [
            "who has read what",
            megabytes(figures["old_reads"]),
            megabytes(figures["new_reads"]),
            "a key per reader and post, 30 min",
            "a HyperLogLog per post and day, and a counter per site and day",
        ],
        [
            "scores",
            megabytes(figures["scores"]),
            megabytes(figures["scores"]),
            "decayed every 6 h",
            "decayed every 6 h",
        ],
    ]
    old_total = figures["old_cards"] + figures["old_reads"] + figures["scores"]
    new_total = figures["new_cards"] + figures["new_reads"] + figures["scores"]
    rows.append(["total", megabytes(old_total), megabytes(new_total), "", ""])
    table = markdown_table(["part", "before, MB", "now, MB", "bounded by, before", "bounded by, now"], rows)
    return f"""## Most read: its Redis memory at {posts:,} posts

`make bench` (popularity), {today()}; {machine_description(load="one process writing to its own Redis")}.
A day on which every one of {posts:,} posts is rendered once and read once by one reader, through
`remember_post` and `count_post_view` (apps/blog/popularity.py), measured with Redis's used_memory;
"before" replays the design it replaced with the same cards. Now / before: {new_total / old_total:.2f}.
What changed is the bound: cards and readers expire with their day, so the memory follows the
posts rendered and read in two days, never the whole archive, and a quiet day frees it.

{table}
"""


def measure(port, posts):
    """In Django: write the day's cards and reads, then the old design's; used_memory after each part."""
    import django

    django.setup()
    from django.core.cache import cache

    from apps.blog import popularity
    from apps.blog.models import Post

    def used_memory():
        info = redis_command(port, "INFO", "memory").decode()
        return int(next(line.split(":")[1] for line in info.splitlines() if line.startswith("used_memory:")))

    def post(number):
        return Post(pk=number, title=TITLE.format(number), slug=SLUG.format(number))

    redis_command(port, "FLUSHALL")
    empty = used_memory()
    for number in range(1, posts + 1):
        popularity.remember_post(post(number))
    with_cards = used_memory()
    for number in range(1, posts + 1):
        popularity.count_post_view(number, f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}")
    # The beacons' rate counters live a minute (the old design had them too); then
    # the day's readers, leaving the scores.
    client = popularity._redis()
    parts = {}
    for part, pattern in (("beacons", "beacons"), ("readers", "readers"), ("sites", "site-reads")):
        for key in client.scan_iter(cache.make_key(f"popular-posts:{pattern}:*"), count=10_000):
            client.delete(key)
        parts[part] = used_memory()

    # The design it replaced, with the same cards: one hash never trimmed, a key per read.
    redis_command(port, "FLUSHALL")
    empty_again = used_memory()
    old_cards_key = cache.make_key("popular-posts:cards")
    pipeline = client.pipeline(transaction=False)
    for number in range(1, posts + 1):
        card = post(number)
        pipeline.hset(
            old_cards_key, number, json.dumps({"title": card.title, "url": card.get_absolute_url()})
        )
        if number % 10_000 == 0:
            pipeline.execute()
    pipeline.execute()
    old_with_cards = used_memory()
    for number in range(1, posts + 1):
        reader = f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}/32"
        pipeline.set(cache.make_key(f"popular-posts:read:{number}:{reader}"), "1", nx=True, ex=30 * 60)
        if number % 10_000 == 0:
            pipeline.execute()
    pipeline.execute()
    old_with_reads = used_memory()
    return {
        "posts": posts,
        "new_cards": with_cards - empty,
        "new_reads": parts["beacons"] - parts["sites"],
        "scores": parts["sites"] - with_cards,
        "old_cards": old_with_cards - empty_again,
        "old_reads": old_with_reads - old_with_cards,
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]), int(sys.argv[2]))))
