import rcssmin
import rjsmin
from pipeline.compressors import CompressorBase


class MinifyCompressor(CompressorBase):
    """Minify CSS and JavaScript bundles at collectstatic, never per request."""

    def compress_css(self, css):
        return rcssmin.cssmin(css)

    def compress_js(self, js):
        return rjsmin.jsmin(js)
