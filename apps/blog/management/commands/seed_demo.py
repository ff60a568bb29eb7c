"""Realistic demo content, fast enough for a million posts.

    manage.py seed_demo --posts 3000 [--if-empty] [--seed 42]

Authors, categories and tags go through the ORM (a few dozen rows); posts and
their tags are streamed to PostgreSQL with COPY, which loads a million rows in
the time bulk INSERTs take for a tenth of them. Markdown bodies come from a
pool rendered once with the site's own render_markdown, as a save would.
"""

import datetime
import io
import json
import random
import time

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw

from apps.blog.models import Author, Category, Post, Tag
from apps.blog.rendering import render_markdown
from apps.images.registry import thumbnail_field
from apps.images.thumbnails import refresh_thumbnails

BODY_POOL_SIZE = 300
COPY_CHUNK_POSTS = 20_000
DRAFT_SHARE = 0.03
SCHEDULED_SHARE = 0.02
YEARS_OF_ARCHIVE = 8
AVATAR_IMAGES = 4
HERO_IMAGES = 4

CATEGORIES = {
    "News": "What happened today, and why it matters.",
    "Politics": "Councils, parliaments and the people who run them.",
    "Business": "Companies, markets and the money in between.",
    "Technology": "Software, hardware and the internet.",
    "Science": "Research, discoveries and the scientists behind them.",
    "Culture": "Books, film, music and the arts.",
    "Sport": "Results, transfers and the long view.",
    "Opinion": "Arguments from our columnists and readers.",
}
TAG_NAMES = [
    "Elections", "Budget", "Housing", "Transport", "Climate", "Energy", "Health", "Education", "Policing",
    "Courts", "Startups", "Banking", "Inflation", "Trade", "Jobs", "Retail", "Property", "Tourism",
    "Farming", "Fisheries", "Python", "Django", "Databases", "Security", "Privacy", "Open Source", "Cloud",
    "Mobile", "Robotics", "Machine Learning", "Space", "Physics", "Biology", "Medicine", "Oceans",
    "Archaeology", "Astronomy", "Chemistry", "Genetics", "Weather", "Books", "Film", "Music", "Theatre",
    "Photography", "Architecture", "Food", "Fashion", "Design", "Television", "Football", "Cricket",
    "Tennis", "Cycling", "Rowing", "Athletics", "Rugby", "Sailing", "Swimming", "Chess",
]  # fmt: skip
FIRST_NAMES = [
    "Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farah", "Gustav", "Hana", "Ivo", "Jonah", "Kemi", "Luca",
    "Maya", "Nils", "Olga", "Priya", "Quentin", "Rosa", "Sami", "Tomas",
]  # fmt: skip
LAST_NAMES = [
    "Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Haddad", "Brennan", "Silva", "Kowalski",
    "Mensah", "Rossi", "Patel", "Nakamura", "Fischer", "Oyelaran", "Duarte", "Kaur", "Ivanova",
    "Murphy", "Adeyemi",
]  # fmt: skip
ADJECTIVES = [
    "quiet", "bold", "new", "old", "hidden", "small", "vast", "bright", "early", "late", "local",
    "global", "rising", "falling", "unlikely", "careful", "sudden", "long-awaited", "forgotten",
    "crowded",
]  # fmt: skip
NOUNS = [
    "council", "harbour", "library", "market", "bridge", "festival", "museum", "school", "river",
    "station", "laboratory", "team", "orchestra", "garden", "factory", "theatre", "port", "railway",
    "stadium", "archive",
]  # fmt: skip
VERBS = [
    "reopens", "expands", "rethinks", "delays", "approves", "rejects", "celebrates", "rebuilds",
    "questions", "welcomes", "funds",
]  # fmt: skip
OBJECTS = [
    "its budget", "a new plan", "the old rules", "its future", "a bold idea", "the night shift",
    "public access", "its oldest tradition", "a quiet revolution", "the winter season",
]  # fmt: skip
PLACES = [
    "in the old town", "across the river", "after a long winter", "before the election", "despite the rain",
    "at last", "under pressure", "for the first time",
]  # fmt: skip
SENTENCE_OPENERS = [
    "Residents said", "Officials confirmed", "Critics argued", "Supporters hoped", "Experts warned",
    "The report found", "Nobody expected", "Local traders noticed", "Our reporter saw", "Figures show",
]  # fmt: skip
BIO_LINES = [
    "covers the city hall beat and has never missed a budget vote.",
    "writes about science for readers who skipped the maths.",
    "spent a decade as a foreign correspondent before coming home.",
    "edits the culture pages and reviews more books than anyone should.",
    "reports on technology and the people it leaves behind.",
    "follows the money, from corner shops to central banks.",
    "has covered eleven elections and predicted three of them.",
    "joined the paper as a photographer and never left.",
]


class Command(BaseCommand):
    help = "Load realistic demo data: authors, categories, tags, N posts (with COPY) and a few images."

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=3000, help="How many posts to add (default 3000).")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any post exists.")
        parser.add_argument("--seed", type=int, default=42, help="Random seed, for repeatable data.")
        parser.add_argument(
            "--no-images", dest="images", action="store_false", help="No avatars, hero images or thumbnails."
        )

    def handle(self, *args, posts, if_empty, seed, images, **options):
        if posts < 0:
            raise CommandError("--posts must be zero or more")
        if if_empty and Post.objects.exists():
            self.stdout.write("Posts exist already: nothing to do (--if-empty).")
            return
        rng = random.Random(seed)
        self.with_images = images
        # (model, image field, primary keys sharing one generated source image)
        self.thumbnail_jobs = []
        started = time.monotonic()
        with transaction.atomic():
            authors = self.ensure_authors(rng)
            categories = self.ensure_categories()
            tags = self.ensure_tags()
            hero_images = self.upload_images(rng, "posts/demo", HERO_IMAGES, (1200, 675))
            bodies = body_pool(rng)
            self.stdout.write(f"Rendered {len(bodies)} Markdown bodies; loading {posts:,} posts with COPY…")
            self.copy_posts(rng, posts, authors, categories, tags, bodies, hero_images, started)
        self.analyze()
        self.make_thumbnails()
        self.stdout.write(self.style.SUCCESS(f"Seeded {posts:,} posts in {time.monotonic() - started:.1f}s."))

    def ensure_authors(self, rng):
        names = [f"{first} {last}" for first, last in zip(FIRST_NAMES, LAST_NAMES, strict=False)]
        existing = {author.slug: author for author in Author.objects.filter(slug__in=map(slugify, names))}
        missing = [name for name in names if slugify(name) not in existing]
        avatars = self.upload_images(rng, "avatars/demo", min(AVATAR_IMAGES, len(missing)), (400, 400))
        # bulk_create sends no post_save: the thumbnails are made once per image below.
        created = Author.objects.bulk_create(
            Author(
                name=name,
                slug=slugify(name),
                bio=f"{name} {rng.choice(BIO_LINES)} {rng.choice(BIO_LINES)}",
                avatar=avatars[number % len(avatars)] if avatars else "",
            )
            for number, name in enumerate(missing)
        )
        for avatar in avatars:
            sharing = [author.pk for author in created if author.avatar.name == avatar]
            self.thumbnail_jobs.append((Author, "avatar", sharing))
        existing.update((author.slug, author) for author in created)
        return [author.pk for author in existing.values()]

    def ensure_categories(self):
        return [
            Category.objects.get_or_create(slug=slugify(name), defaults={"name": name, "description": text})[
                0
            ].pk
            for name, text in CATEGORIES.items()
        ]

    def ensure_tags(self):
        return [
            Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0].pk for name in TAG_NAMES
        ]

    def upload_images(self, rng, folder, count, size):
        """A handful of generated JPEGs in the media storage; none if the storage is down."""
        names = []
        if not self.with_images:
            return names
        try:
            for number in range(count):
                names.append(default_storage.save(f"{folder}/demo-{number}.jpg", generated_jpeg(rng, size)))
        except (BotoCoreError, ClientError, OSError) as error:
            self.stderr.write(f"Media storage unavailable, seeding without images: {error}")
        return names

    def copy_posts(self, rng, count, authors, categories, tags, bodies, hero_images, started):
        table = Post._meta.db_table
        through = Post.tags.through._meta.db_table
        columns, constant_values = post_columns()
        now = timezone.now()
        with connection.cursor() as cursor:
            # Ids are assigned here, so the tag rows can be streamed alongside.
            cursor.execute(f"LOCK TABLE {quote(table)} IN EXCLUSIVE MODE")
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(table)}")  # noqa: S608 - a model's table name
            first_id = cursor.fetchone()[0] + 1
            statuses = post_statuses(rng, count)
            published_positions = [i for i, status in enumerate(statuses) if status == Post.Status.PUBLISHED]
            # The newest published posts get the hero images, where a reader lands first.
            hero_positions = dict(zip(reversed(published_positions), hero_images, strict=False))
            self.thumbnail_jobs += [(Post, "hero_image", [first_id + pos]) for pos in hero_positions]
            tag_weights = [1 / (rank + 1) for rank in range(len(tags))]
            archive_start = now - datetime.timedelta(days=365 * YEARS_OF_ARCHIVE)
            step = (now - datetime.timedelta(hours=1) - archive_start) / max(count, 1)
            post_sql = f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"
            tags_sql = f"COPY {quote(through)} (post_id, tag_id) FROM STDIN"
            for chunk_start in range(0, count, COPY_CHUNK_POSTS):
                post_rows, tag_rows = io.StringIO(), io.StringIO()
                for position in range(chunk_start, min(chunk_start + COPY_CHUNK_POSTS, count)):
                    post_id = first_id + position
                    status = statuses[position]
                    written = (
                        archive_start + step * position + datetime.timedelta(minutes=rng.randint(-600, 600))
                    )
                    published_at = {
                        Post.Status.PUBLISHED: written,
                        Post.Status.DRAFT: None,
                        Post.Status.SCHEDULED: now + datetime.timedelta(hours=rng.randint(1, 24 * 60)),
                    }[status]
                    title = make_title(rng)
                    body, body_html = rng.choice(bodies)
                    hero_image = hero_positions.get(position, "")
                    values = {
                        "id": post_id,
                        "title": title,
                        "slug": f"{slugify(title)}-{post_id}",
                        "author_id": rng.choice(authors),
                        "category_id": rng.choice(categories),
                        "excerpt": make_sentence(rng),
                        "body": body,
                        "body_html": body_html,
                        "hero_image": hero_image,
                        "hero_image_alt": f"Illustration for “{title}”" if hero_image else "",
                        "status": status,
                        "published_at": published_at,
                        "created": written,
                        "last_modified": written,
                        **constant_values,
                    }
                    post_rows.write("\t".join(copy_text(values[column]) for column in columns) + "\n")
                    for tag_id in set(rng.choices(tags, weights=tag_weights, k=rng.randint(1, 5))):
                        tag_rows.write(f"{post_id}\t{tag_id}\n")
                post_rows.seek(0)
                tag_rows.seek(0)
                cursor.copy_expert(post_sql, post_rows)
                cursor.copy_expert(tags_sql, tag_rows)
                loaded = min(chunk_start + COPY_CHUNK_POSTS, count)
                rate = loaded / max(time.monotonic() - started, 0.001)
                self.stdout.write(f"  posts {loaded:>10,} / {count:,}  ({rate:,.0f} posts/s)")
                self.stdout.flush()
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {quote(table)}))",  # noqa: S608
                [table],
            )

    def make_thumbnails(self):
        """Thumbnails now, with the images app's own function, so the first page view finds them.

        Seeding sends no post_save (COPY, bulk_create), so no task is queued;
        authors sharing an avatar share its thumbnails.
        """
        for model, image_field, pks in self.thumbnail_jobs:
            label = model._meta.label
            try:
                refresh_thumbnails(label, pks[0], image_field)
            except (BotoCoreError, ClientError, OSError) as error:
                self.stderr.write(f"Media storage unavailable, no thumbnails for {label}: {error}")
                return
            thumbnails_field = thumbnail_field(label, image_field).thumbnails_field
            rows = model._default_manager
            thumbnails = rows.filter(pk=pks[0]).values_list(thumbnails_field, flat=True).get()
            rows.filter(pk__in=pks[1:]).update(**{thumbnails_field: thumbnails})
        if self.thumbnail_jobs:
            self.stdout.write(f"Made thumbnails for {len(self.thumbnail_jobs)} generated images.")

    def analyze(self):
        """Fresh statistics for the planner, and for the approximate counts (reltuples)."""
        with connection.cursor() as cursor:
            for model in (Author, Category, Tag, Post, Post.tags.through):
                cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def quote(name):
    return connection.ops.quote_name(name)


def post_columns():
    """Every stored column COPY must fill, and a value for those seed_demo does not know.

    Generated columns (the search vector) are left to PostgreSQL; a column
    added later gets its model default, or a clear error if it has none.
    """
    known = {
        "id", "title", "slug", "author_id", "category_id", "excerpt", "body", "body_html", "hero_image",
        "hero_image_alt", "status", "published_at", "created", "last_modified",
    }  # fmt: skip
    columns, constant_values = [], {}
    for field in Post._meta.concrete_fields:
        if isinstance(field, models.GeneratedField):
            continue
        columns.append(field.column)
        if field.column in known:
            continue
        if field.has_default():
            default = field.get_default()
            constant_values[field.column] = (
                json.dumps(default) if isinstance(field, models.JSONField) else default
            )
        elif field.null:
            constant_values[field.column] = None
        else:
            raise CommandError(f"seed_demo does not know how to fill Post.{field.name}: give it a default")
    return columns, constant_values


def copy_text(value):
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def post_statuses(rng, count):
    """Mostly published; a fixed share of drafts and of posts scheduled for the future."""
    statuses = [Post.Status.PUBLISHED] * count
    positions = rng.sample(range(count), round(count * DRAFT_SHARE) + round(count * SCHEDULED_SHARE))
    for number, position in enumerate(positions):
        statuses[position] = (
            Post.Status.DRAFT if number < round(count * DRAFT_SHARE) else Post.Status.SCHEDULED
        )
    return statuses


def make_title(rng):
    title = (
        f"{rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    )
    if rng.random() < 0.4:
        title += f" {rng.choice(PLACES)}"
    return title


def make_sentence(rng):
    return (
        f"{rng.choice(SENTENCE_OPENERS)} that the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} "
        f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(PLACES)}."
    )


def make_markdown(rng):
    paragraphs = [
        " ".join(make_sentence(rng) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(2, 4))
    ]
    if rng.random() < 0.5:
        noun = rng.choice(NOUNS)
        paragraphs.insert(1, f"## What the {noun} means for readers")
    if rng.random() < 0.3:
        paragraphs.append(
            "\n".join(f"- **{rng.choice(NOUNS).capitalize()}**: {make_sentence(rng)}" for _ in range(3))
        )
    if rng.random() < 0.2:
        paragraphs.append(f"> {make_sentence(rng)}")
    if rng.random() < 0.2:
        paragraphs.append(f"Read the [full report](https://example.org/reports/{rng.randint(100, 999)}).")
    return "\n\n".join(paragraphs)


def body_pool(rng):
    """A few hundred (Markdown, HTML) pairs, each rendered once and shared by many posts."""
    pool = []
    for _ in range(BODY_POOL_SIZE):
        markdown_text = make_markdown(rng)
        pool.append((markdown_text, render_markdown(markdown_text)))
    return pool


def generated_jpeg(rng, size):
    """A soft two-colour gradient with a few circles: small, varied, obviously a placeholder."""
    width, height = size
    start = [rng.randint(40, 200) for _ in range(3)]
    end = [rng.randint(40, 200) for _ in range(3)]
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / height
        draw.line(
            [(0, y), (width, y)], fill=tuple(int(a + (b - a) * mix) for a, b in zip(start, end, strict=True))
        )
    for _ in range(4):
        radius = rng.randint(height // 10, height // 3)
        x, y = rng.randint(0, width), rng.randint(0, height)
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], outline=(255, 255, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return ContentFile(buffer.getvalue())
