"""The benchmark's deploy settings, with the blog's migrations read from the
package tests/bench/migration.py writes: the real ones plus its probe migrations."""

from tests.bench.settings import *  # noqa: F403

MIGRATION_MODULES = {"blog": "migration_check_blog_migrations"}
