from django.contrib.staticfiles.storage import StaticFilesStorage
from pipeline.storage import PipelineMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage


class PipelineStaticStorage(PipelineMixin, StaticFilesStorage):
    """Development and tests: bundles built on demand, no manifest to collect first."""


class PipelineManifestStorage(PipelineMixin, CompressedManifestStaticFilesStorage):
    """Deploy: bundles concatenated, names hashed and gzip/brotli copies made at collectstatic."""
