"""Rendering templates with the fragment cache in tests, and values that show
how often (and when) a fragment was rendered."""

import threading

from django.template import RequestContext, Template


def render_template(source, request, **context):
    """Render `source` with {% load fragment_cache %} and the project's context processors."""
    return Template("{% load fragment_cache %}" + source).render(RequestContext(request, context))


class CountingValue:
    """A template value that counts its renders: "fresh1", "fresh2", ..."""

    def __init__(self, text="fresh"):
        self.text = text
        self.renders = 0
        self.lock = threading.Lock()

    def __str__(self):
        with self.lock:
            self.renders += 1
            return f"{self.text}{self.renders}"


class BlockingValue(CountingValue):
    """A CountingValue whose first render waits for `release`, after setting
    `rendering`: a test holds one request mid-render while another one runs."""

    def __init__(self, text="fresh"):
        super().__init__(text)
        self.rendering = threading.Event()
        self.release = threading.Event()

    def __str__(self):
        rendered = super().__str__()
        if rendered == f"{self.text}1":
            self.rendering.set()
            assert self.release.wait(timeout=10), "the test never released the first render"
        return rendered
