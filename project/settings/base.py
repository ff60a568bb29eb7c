"""Settings shared by every deploy; the largest of the three files.

local.py (from local.py.example) and deploy.py import everything from here and
change only what differs. Local development runs the same services as
production (PostgreSQL, Redis, an S3 endpoint), started by `make services`.
"""

import os
from pathlib import Path

from project.config import database_from_url
from project.database_limits import with_limits
from project.services.constants import service_urls

BASE_DIR = Path(__file__).resolve().parent.parent.parent
LOCAL_SERVICES = service_urls()

# ---------------------------------------------------------------- core

SECRET_KEY = "local-development-only-never-used-by-deploy-settings"  # noqa: S105 - deploy requires its own
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
SITE_NAME = "Broadsheet"
SITE_TAGLINE = "A fast Django publication"
# The public origin of every absolute URL (canonical, OpenGraph, feeds,
# sitemaps, robots.txt): never the request's Host, which a client chooses.
SITE_URL = "http://127.0.0.1:8000"
# Proxies whose X-Forwarded-For is believed (apps/security/clients.py); none locally.
TRUSTED_PROXIES = []

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles so that runserver serves static files the way gunicorn does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "easy_thumbnails",
    "pipeline",
    "apps.core",
    "apps.replicas",
    "apps.security",
    "apps.ops",
    "apps.caching",
    "apps.images",
    "apps.blog",
]

MIDDLEWARE = [
    # First, so that its Server-Timing "total" covers every other layer.
    "apps.ops.server_timing.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apps.security.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Layers 1-3 of the caching pipeline: warm anonymous pages are answered
    # here, before sessions, authentication, CSRF and URL resolution.
    "apps.caching.pipeline.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sets or clears the signed-in marker the page cache and replica router trust.
    "apps.security.signed_in.SignedInMarkerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it retries the view alone on the primary when a replica fails mid-request.
    "apps.replicas.router.ReadYourWritesMiddleware",
]

# ---------------------------------------------------------------- database

# Anonymous readers' pages read from a streaming replica (apps/replicas/router.py);
# writes, transactions, editors, Celery tasks and migrations use the primary.
# Locally the replica is the hot standby `make services` starts beside the primary.

# Every dependency has a timeout (project/database_limits.py; each value's reason
# is in docs/reliability.md, "Timeouts"). libpq waits at least 2 s to connect.
DATABASE_CONNECT_TIMEOUT_SECONDS = 3
# A dead replica costs a reader this long once, then the primary serves.
DATABASE_REPLICA_CONNECT_TIMEOUT_SECONDS = 2
# Milliseconds, 0 for none. Every process starts with the web's; Celery workers
# and management commands switch before they connect.
DATABASE_SESSION_LIMITS_MS = {
    "web": {
        "statement_timeout": 10_000,
        "lock_timeout": 5_000,
        "idle_in_transaction_session_timeout": 20_000,
    },
    # A statement may run as long as its task (CELERY_TASK_TIME_LIMIT).
    "task": {
        "statement_timeout": 90_000,
        "lock_timeout": 5_000,
        "idle_in_transaction_session_timeout": 90_000,
    },
    "command": {"statement_timeout": 0, "lock_timeout": 0, "idle_in_transaction_session_timeout": 0},
}
DATABASES = {
    "default": with_limits(
        database_from_url(LOCAL_SERVICES["DATABASE_URL"], CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True),
        DATABASE_CONNECT_TIMEOUT_SECONDS,
        DATABASE_SESSION_LIMITS_MS["web"],
    ),
    "replica": with_limits(
        database_from_url(LOCAL_SERVICES["REPLICA_DATABASE_URL"], CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True),
        DATABASE_REPLICA_CONNECT_TIMEOUT_SECONDS,
        DATABASE_SESSION_LIMITS_MS["web"],
    ),
}
DATABASE_ROUTERS = ["apps.replicas.router.ReplicaRouter"]
# The aliases reads may use; empty means every read goes to the primary.
READ_REPLICAS = ["replica"]
# A replica further behind than this is skipped until it catches up.
REPLICA_MAX_LAG_SECONDS = 5
# Each process checks a replica's health and lag at most this often.
REPLICA_CHECK_SECONDS = 5
REPLICA_WARNING_SECONDS = 60
# How long a client reads the primary after it wrote (above the lag bound).
REPLICA_READ_YOUR_WRITES_SECONDS = 2 * REPLICA_MAX_LAG_SECONDS

# Migrations (apps/core/safe_migrations.py): a lock they wait for longer than
# this is given up and the migration retried, so editors' saves queued behind
# one wait at most this long per attempt; indexes on big tables are built
# CONCURRENTLY and never block them at all.
MIGRATION_LOCK_TIMEOUT_MS = 2000
MIGRATION_LOCK_RETRIES = 10
MIGRATION_LOCK_RETRY_PAUSE_SECONDS = 2

# ---------------------------------------------------------------- templates

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.site",
            ],
        },
    },
]

# ---------------------------------------------------------------- cache
# Local development caches exactly like production, so the debug toolbar
# shows real hits and misses. The cache and the Celery broker live in two
# Redis instances: the cache may evict (allkeys-lru), the broker never does.

# The switch for comparing cold and warm pages: BROADSHEET_CACHE=off renders
# every fragment and page as if the cache were empty.
CACHE_ENABLED = os.environ.get("BROADSHEET_CACHE", "on") != "off"
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": LOCAL_SERVICES["CACHE_URL"],
        "KEY_PREFIX": "broadsheet",
        "OPTIONS": {
            # The cache accelerates, it is never a dependency: a dead Redis
            # means an uncached page, not a 500.
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 0.25,
            "SOCKET_TIMEOUT": 0.25,
        },
    },
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "apps.caching.redis"

# ---------------------------------------------------------------- sessions and auth

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Failed logins are throttled per account and per client address
# (apps/security/login_throttle.py): Redis counters, no SQL, no new dependency.
AUTHENTICATION_BACKENDS = ["apps.security.login_throttle.ThrottledModelBackend"]
LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURES_PER_ADDRESS = 20
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ---------------------------------------------------------------- internationalisation

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------- static files
# django-pipeline collects, concatenates and versions CSS and JS; whitenoise
# serves the result with far-future cache headers (a CDN can use it as origin).

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "pipeline.finders.PipelineFinder",
]
# Files browsers ask for at the site's root (/favicon.ico), served by whitenoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
PIPELINE = {
    "PIPELINE_ENABLED": True,
    "CSS_COMPRESSOR": "project.static_files.MinifyCompressor",
    "JS_COMPRESSOR": "project.static_files.MinifyCompressor",
    "STYLESHEETS": {
        "site": {
            "source_filenames": ["css/site.css"],
            "output_filename": "css/site.min.css",
            # pipeline's link template reads `media`; naming it keeps strict template tests quiet.
            "extra_context": {"media": "all"},
        },
    },
    "JAVASCRIPT": {
        "site": {
            "source_filenames": ["js/site.js"],
            "output_filename": "js/site.min.js",
            # Deferred: never blocks the first paint.
            "extra_context": {"defer": True, "async": False},
        },
    },
}

# ---------------------------------------------------------------- media on S3
# Uploads go to S3-compatible storage so that any number of app servers share
# them. Public media gets stable unsigned URLs: signed ones change per request
# and defeat every cache in front of the site.

AWS_S3_ENDPOINT_URL = LOCAL_SERVICES["S3_ENDPOINT_URL"]
AWS_STORAGE_BUCKET_NAME = LOCAL_SERVICES["S3_BUCKET"]
AWS_ACCESS_KEY_ID = LOCAL_SERVICES["S3_ACCESS_KEY"]
AWS_SECRET_ACCESS_KEY = LOCAL_SERVICES["S3_SECRET_KEY"]
AWS_S3_REGION_NAME = "us-east-1"
AWS_S3_CUSTOM_DOMAIN = None
AWS_QUERYSTRING_AUTH = False
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = False
AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "public, max-age=31536000, immutable"}
# A second bucket holding a copy of every upload, which no delete reaches
# (apps/images/mirror.py); `manage.py restore_media` copies images back.
AWS_MEDIA_MIRROR_BUCKET_NAME = LOCAL_SERVICES["S3_MIRROR_BUCKET"]

STORAGES = {
    "default": {
        "BACKEND": "apps.images.storage.MediaStorage",
        "OPTIONS": {"mirrored": True, "strip_metadata": True},
    },
    "staticfiles": {"BACKEND": "project.static_files.PipelineStaticStorage"},
}
MEDIA_URL = f"{AWS_S3_ENDPOINT_URL}/{AWS_STORAGE_BUCKET_NAME}/"

# ---------------------------------------------------------------- celery
# Redis broker, JSON only, late acknowledgement with one task prefetched, so a
# killed worker's task is redelivered. Editor-facing work goes to `high`,
# backfills and housekeeping to `low`.

CELERY_BROKER_URL = LOCAL_SERVICES["BROKER_URL"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "low"
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis hands a message out again when it stays unacknowledged this long: after
# a worker is SIGKILLed, that is how late its task is redelivered. It must exceed
# the longest a live worker holds one (a retry's countdown, up to 600 s, then its
# run, up to 90 s; the daily cleanup's 660 s), or a task runs twice. Thumbnails
# come back sooner than this through the sweep (apps/images/sweep.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 60 * 15,
    # A hung broker (stopped, blackholed) answers nothing: without these a
    # `.delay()` after an editor's commit would wait forever. The worker's own
    # BRPOP runs on the event loop, checked by kombu's health_check_interval.
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# One retry of a failed publish, not three: an editor's save waits at most
# about three socket timeouts on a hung broker (the sweep finds what was dropped).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# SIGTERM (`docker compose stop`) is a warm shutdown: running tasks finish
# within the compose stop_grace_period. A cold shutdown (SIGQUIT, a second
# Ctrl-C) first gives them this long (Celery 5.5's soft shutdown), also when
# the worker only holds tasks waiting for their countdown, then requeues them.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 10
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = True
CELERY_TASK_ROUTES = {}
CELERY_BEAT_SCHEDULE = {}

# ---------------------------------------------------------------- health checks
# /healthz/detail answers staff, or requests bearing this token (config.json's
# HEALTHZ_DETAIL_TOKEN in deploys); None accepts no token.
HEALTHZ_DETAIL_TOKEN = None

# ---------------------------------------------------------------- logging

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
    },
}

# ---------------------------------------------------------------- caching
# Fragment caching (apps.caching): the chapter's TTL constants, given to every
# template as SHORT_TTL, MIDDLE_TTL, LONG_TTL and FOREVER_TTL.
CACHE_TTL_SHORT = 60 * 10
CACHE_TTL_MIDDLE = 60 * 30
CACHE_TTL_LONG = 60 * 60
CACHE_TTL_FOREVER = 60 * 60 * 24 * 7
# What a CDN or browser may reuse without asking; editors' changes reach
# readers within this many seconds, conditional requests cost no rendering.
CACHE_HTTP_MAX_AGE = 60
# Layer 0, the edge cache (Varnish, apps/caching/edge.py): how long it keeps a
# public page (s-maxage; changes purge it sooner, by key), how long it may serve
# a stale one while refreshing it, and while the app servers fail.
CACHE_EDGE_MAX_AGE = 60 * 10
CACHE_STALE_WHILE_REVALIDATE = 30
CACHE_STALE_IF_ERROR = 60 * 60
# Where purges by key go: config.json's EDGE_PURGE_URLS in deploys; none locally.
EDGE_PURGE_URLS = []
# How long each process may answer an anonymous page from its own memory
# (apps/caching/process_cache.py); BROADSHEET_CACHE_PROCESS_SECONDS=0 turns that
# layer off, to compare it with Redis alone. Its memory is bounded in bytes.
CACHE_PROCESS_SECONDS = int(os.environ.get("BROADSHEET_CACHE_PROCESS_SECONDS", "1"))
CACHE_PROCESS_MAX_BYTES = 8 * 1024 * 1024
# Anonymous pages no cache layer held, rendered per client identity and
# minute (apps/caching/pipeline.py), then 429: a reader misses a few a minute,
# a crawler at a polite one page a second at most 60; a made-up-URL flood
# renders at most two pages a second per address (docs/security.md).
PAGE_MISSES_PER_CLIENT = 120
PAGE_MISS_WINDOW_SECONDS = 60
TEMPLATES[0]["OPTIONS"]["context_processors"].append("apps.caching.context_processors.cache_timeouts")

# django-redis logs every ignored error; readers of the log need one line a minute.
LOGGING["filters"] = {"once_a_minute": {"()": "apps.caching.log_filters.OncePerInterval", "seconds": 60}}
LOGGING["loggers"]["apps.caching.redis"] = {"level": "WARNING", "filters": ["once_a_minute"]}
LOGGING["loggers"]["apps.blog.popularity"] = {"level": "WARNING", "filters": ["once_a_minute"]}
LOGGING["loggers"]["apps.security.ratelimit"] = {"level": "WARNING", "filters": ["once_a_minute"]}

# Server-Timing on every response (apps/ops/server_timing.py): staff always,
# everyone when this is on (config.json's SERVER_TIMING_PUBLIC in deploys).
SERVER_TIMING_PUBLIC = False
# Queries slower than this are logged on "broadsheet.slow_queries" (the chapter's threshold).
SLOW_QUERY_MILLISECONDS = 50
LOGGING["loggers"]["broadsheet.slow_queries"] = {"level": "WARNING"}

# The toolbar's default panels (only local settings install it) and ours.
DEBUG_TOOLBAR_PANELS = [
    "debug_toolbar.panels.history.HistoryPanel",
    "debug_toolbar.panels.versions.VersionsPanel",
    "debug_toolbar.panels.timer.TimerPanel",
    "debug_toolbar.panels.settings.SettingsPanel",
    "debug_toolbar.panels.headers.HeadersPanel",
    "debug_toolbar.panels.request.RequestPanel",
    "debug_toolbar.panels.sql.SQLPanel",
    "debug_toolbar.panels.staticfiles.StaticFilesPanel",
    "debug_toolbar.panels.templates.TemplatesPanel",
    "debug_toolbar.panels.alerts.AlertsPanel",
    "debug_toolbar.panels.cache.CachePanel",
    # Hits, stale copies and misses per fragment, beside the raw get/set calls above.
    "apps.caching.panels.FragmentCachePanel",
    "debug_toolbar.panels.signals.SignalsPanel",
    "debug_toolbar.panels.tasks.TasksPanel",
    "debug_toolbar.panels.community.CommunityPanel",
    "debug_toolbar.panels.redirects.RedirectsPanel",
    "debug_toolbar.panels.profiling.ProfilingPanel",
]

# ---------------------------------------------------------------- blog (readers' pages)
# Posts per list page; pagination is keyset-based (apps/core/pagination.py), so
# this size costs the same on page 1 and page 500.
BLOG_POSTS_PER_PAGE = 20

# ---------------------------------------------------------------- images and scheduled work
# File uploads (the chapter's "File Uploads"): every thumbnail size is predefined
# here as an easy-thumbnails alias, pre-generated by Celery right after upload,
# with an on-the-fly fallback in the template tag. Targets are "app.Model.field".
HERO_IMAGE_ALIASES = {
    "teaser": {"size": (480, 270), "crop": True},
    "teaser_2x": {"size": (960, 540), "crop": True},
    "detail": {"size": (960, 0)},
    "detail_2x": {"size": (1920, 0)},
    # Open Graph's fixed 1200x630 card is fetched by crawlers, never scaled by srcset: 1x only.
    "social": {"size": (1200, 630), "crop": True},
}
# Library images inside a post body (apps/blog/rendering.py): one srcset of
# widths around the 42rem body column, the default the src for old browsers.
BODY_IMAGE_ALIASES = {
    "body_480": {"size": (480, 0)},
    "body_720": {"size": (720, 0)},
    "body_1440": {"size": (1440, 0)},
}
BODY_IMAGE_DEFAULT_ALIAS = "body_720"
THUMBNAIL_ALIASES = {
    "blog.Post.hero_image": HERO_IMAGE_ALIASES,
    "images.LibraryImage.file": {**HERO_IMAGE_ALIASES, **BODY_IMAGE_ALIASES},
    "blog.Author.avatar": {
        "avatar": {"size": (96, 96), "crop": True},
        "avatar_2x": {"size": (192, 192), "crop": True},
    },
}
# One extension for every thumbnail, so a lookup tries one name, not two.
THUMBNAIL_EXTENSION = "webp"
THUMBNAIL_TRANSPARENCY_EXTENSION = "webp"
THUMBNAIL_CACHE_DIMENSIONS = True
# Image fields whose uploads get thumbnails: {"app.Model": {image field: JSON field}};
# the task stores {alias: {"url", "width", "height"}} in the JSON field.
IMAGES_THUMBNAIL_FIELDS = {
    "blog.Post": {"hero_image": "hero_thumbnails"},
    "blog.Author": {"avatar": "avatar_thumbnails"},
    "images.LibraryImage": {"file": "thumbnails"},
}
# Compress images: the task re-encodes what easy-thumbnails made with these
# Pillow options (easy-thumbnails' own optimizer does nothing on remote storage).
IMAGES_OPTIMIZE_OPTIONS = {
    "WEBP": {"quality": 78, "method": 6},
    "JPEG": {"quality": 78, "optimize": True, "progressive": True},
    "PNG": {"optimize": True},
}
# Upload validation: by content, before anything reaches the bucket.
IMAGES_ALLOWED_FORMATS = ["JPEG", "PNG", "WEBP", "GIF"]
IMAGES_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
IMAGES_MAX_PIXELS = 40_000_000
# Long side over short side: a wide panorama passes, a 20000 x 5 strip does not.
IMAGES_MAX_ASPECT_RATIO = 10
# Stored images no row references are deleted once older than this, so an
# upload whose row is still being saved is never taken for an orphan.
IMAGES_ORPHAN_GRACE_SECONDS = 60 * 60 * 24
# Pointed at an empty or restored database every image looks unreferenced, so
# the cleanup refuses then (apps/images/cleanup.py), and any run deletes at most
# this fraction of the stored objects, and at most this many.
IMAGES_CLEANUP_MAX_FRACTION = 0.01
IMAGES_CLEANUP_MAX_OBJECTS = 1000
# The sweep queues again a row still without thumbnails this long after its
# save (its task was lost), at most once per REQUEUE seconds (the visibility
# timeout: by then Redis redelivers a killed worker's task anyway).
IMAGES_SWEEP_GRACE_SECONDS = 45
IMAGES_SWEEP_REQUEUE_SECONDS = 60 * 15
# Thumbnails are overwritten in place when regenerated (same name, same
# options), so a page never points at a name that is briefly missing.
STORAGES["thumbnails"] = {"BACKEND": "apps.images.storage.MediaStorage", "OPTIONS": {"file_overwrite": True}}

# "Most read": a Redis sorted set, halved by each decay so that old favourites
# fade; a post worth less than one recent view leaves the list.
POPULAR_POSTS_DECAY_FACTOR = 0.5
POPULAR_POSTS_DECAY_EVERY_SECONDS = 6 * 3600
POPULAR_POSTS_MIN_SCORE = 1.0

# Queues: an editor waits for `high` (its own worker process, since kombu
# serves queues round-robin); backfills and housekeeping wait on `low`.
CELERY_TASK_ROUTES.update(
    {
        "apps.images.tasks.generate_thumbnails": {"queue": "high"},
        "apps.images.tasks.regenerate_thumbnails": {"queue": "low"},
        "apps.images.tasks.remove_unreferenced_images": {"queue": "low"},
        "apps.images.tasks.queue_missing_thumbnails": {"queue": "high"},
        "apps.blog.tasks.publish_due_posts": {"queue": "high"},
        # A publish or a retraction reaches the edges within a second.
        "apps.caching.tasks.purge_edge_keys": {"queue": "high"},
        "apps.blog.tasks.decay_popular_posts": {"queue": "low"},
        # A retraction must leave every cache soon: readers' freshness, as editors see it.
        "apps.caching.tasks.bump_list_version_once_replayed": {"queue": "high"},
    }
)
# Scheduled work with Celery beat (run exactly one beat process).
CELERY_BEAT_SCHEDULE.update(
    {
        "publish-due-posts": {"task": "apps.blog.tasks.publish_due_posts", "schedule": 60.0},
        "decay-popular-posts": {
            "task": "apps.blog.tasks.decay_popular_posts",
            "schedule": float(POPULAR_POSTS_DECAY_EVERY_SECONDS),
        },
        "queue-missing-thumbnails": {"task": "apps.images.tasks.queue_missing_thumbnails", "schedule": 20.0},
        "remove-unreferenced-images": {
            "task": "apps.images.tasks.remove_unreferenced_images",
            "schedule": 60.0 * 60 * 24,
        },
    }
)
