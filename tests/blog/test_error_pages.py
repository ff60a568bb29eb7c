from django.test import RequestFactory
from django.views.defaults import server_error


def test_unknown_address_gets_the_sites_own_404_page(client, db):
    response = client.get("/posts/no-such-story/")

    assert response.status_code == 404
    content = response.content.decode()
    assert "<h1>Page not found</h1>" in content
    assert 'role="search"' in content
    assert 'rel="canonical"' in content


def test_500_page_renders_without_database_or_request_context():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
