"""Static files for django-pipeline and whitenoise: the bundles' minifier and storages.

Project plumbing rather than an app's feature: settings name these classes
(PIPELINE's compressors, STORAGES["staticfiles"]) and no code imports them.
"""

import rcssmin
import rjsmin
from django.contrib.staticfiles.storage import StaticFilesStorage
from pipeline.compressors import CompressorBase
from pipeline.storage import PipelineMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage


class MinifyCompressor(CompressorBase):
    """Minify CSS and JavaScript bundles at collectstatic, never per request."""

    def compress_css(self, css):
        return rcssmin.cssmin(css)

    def compress_js(self, js):
        return rjsmin.jsmin(js)


class PipelineStaticStorage(PipelineMixin, StaticFilesStorage):
    """Development and tests: bundles built on demand, no manifest to collect first."""


class PipelineManifestStorage(PipelineMixin, CompressedManifestStaticFilesStorage):
    """Deploy: bundles concatenated, names hashed and gzip/brotli copies made at collectstatic."""
