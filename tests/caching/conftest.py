import threading
import time

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.template import RequestContext, Template
from django.test import RequestFactory


def render_template(source, request, **context):
    """Render `source` with {% load fragment_cache %} and the project's context processors."""
    return Template("{% load fragment_cache %}" + source).render(RequestContext(request, context))


@pytest.fixture
def anonymous_request():
    def make(path="/page/", **params):
        request = RequestFactory().get(path, params)
        request.user = AnonymousUser()
        return request

    return make


@pytest.fixture
def staff_request():
    def make(path="/page/", **params):
        request = RequestFactory().get(path, params)
        # Unsaved: the tag asks only is_authenticated and is_staff, no query.
        request.user = User(username="editor", is_staff=True)
        return request

    return make


class SlowValue:
    """A template value that counts its renders and may take a while to render."""

    def __init__(self, text="fresh", seconds=0.0):
        self.text = text
        self.seconds = seconds
        self.renders = 0
        self.lock = threading.Lock()

    def __str__(self):
        with self.lock:
            self.renders += 1
            number = self.renders
        time.sleep(self.seconds)
        return f"{self.text}{number}"
