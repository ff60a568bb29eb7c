import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import RequestFactory


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
        # Unsaved: the pipeline asks only is_authenticated and is_staff, no query.
        request.user = User(username="editor", is_staff=True)
        return request

    return make
