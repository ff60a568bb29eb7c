"""Every absolute URL the site prints is built from settings.SITE_URL, never from
the request's Host: `Host: site:31337` must not reach a canonical link, an
OpenGraph tag, a feed, a sitemap or robots.txt."""

import re

import pytest

SITE_URL = "https://broadsheet.example.com"
FOREIGN_HOST = "testserver:31337"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE_URL


def absolute_urls(text):
    """Every http(s) URL in a document, except its XML namespace names."""
    without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", text)
    return re.findall(r"https?://[^\s\"'<>]+", without_namespaces)


def assert_every_absolute_url_is_on_the_site(text):
    urls = absolute_urls(text)
    assert urls
    for url in urls:
        assert url.startswith(f"{SITE_URL}/"), url
    assert "31337" not in text


@pytest.mark.django_db
def test_post_page_canonical_and_opengraph_urls_ignore_the_host_port(client, post_factory):
    post = post_factory(slug="a-story")
    response = client.get(post.get_absolute_url(), HTTP_HOST=FOREIGN_HOST)
    page = response.content.decode()
    assert f'<link rel="canonical" href="{SITE_URL}/posts/a-story/">' in page
    assert f'<meta property="og:url" content="{SITE_URL}/posts/a-story/">' in page
    assert "31337" not in page


@pytest.mark.django_db
def test_home_canonical_ignores_the_host_port(client, post_factory):
    post_factory()
    page = client.get("/", HTTP_HOST=FOREIGN_HOST).content.decode()
    assert f'<link rel="canonical" href="{SITE_URL}/">' in page
    assert "31337" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("feed_path", ["/feeds/rss/", "/feeds/atom/"])
def test_feed_links_ignore_the_host_port(client, post_factory, feed_path):
    post_factory(slug="a-story")
    feed = client.get(feed_path, HTTP_HOST=FOREIGN_HOST).content.decode()
    assert f"{SITE_URL}/posts/a-story/" in feed
    assert f"{SITE_URL}{feed_path}" in feed
    assert_every_absolute_url_is_on_the_site(feed)


@pytest.mark.django_db
def test_sitemap_index_and_sections_ignore_the_host_port(client, post_factory):
    post_factory(slug="a-story")
    index = client.get("/sitemap.xml", HTTP_HOST=FOREIGN_HOST).content.decode()
    assert f"<loc>{SITE_URL}/sitemap-posts.xml</loc>" in index
    assert_every_absolute_url_is_on_the_site(index)
    posts = client.get("/sitemap-posts.xml", HTTP_HOST=FOREIGN_HOST).content.decode()
    assert f"<loc>{SITE_URL}/posts/a-story/</loc>" in posts
    assert_every_absolute_url_is_on_the_site(posts)


@pytest.mark.django_db
def test_robots_txt_names_the_sitemap_on_the_site_url(client):
    robots = client.get("/robots.txt", HTTP_HOST=FOREIGN_HOST).content.decode()
    assert f"Sitemap: {SITE_URL}/sitemap.xml\n" in robots
    assert "31337" not in robots
