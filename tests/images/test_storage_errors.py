"""S3 answering errors (throttling, a changed policy) never breaks a page."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "code", "failing_methods"),
    [
        # Reads refused: easy-thumbnails cannot open the source.
        (403, "AccessDenied", {"GET", "HEAD", "PUT"}),
        # The source downloads, but storing the thumbnail is throttled or refused:
        # botocore's ClientError comes out of easy-thumbnails' save.
        (503, "SlowDown", {"PUT"}),
        (403, "AccessDenied", {"PUT"}),
    ],
    ids=["reads-refused", "writes-throttled", "writes-refused"],
)
def test_pages_show_the_original_image_when_s3_answers_an_error(
    client,
    post_factory,
    image_upload,
    s3_proxy,
    django_capture_on_commit_callbacks,
    status,
    code,
    failing_methods,
):
    """No thumbnail stored yet, so the render makes one on the fly, and S3
    answers an error: the page still shows the original image."""
    with django_capture_on_commit_callbacks(execute=False):
        post = post_factory(title="Storm warning", hero_image=image_upload("storm.jpg"))
    original_url = post.hero_image.url
    s3_proxy.requests.clear()
    s3_proxy.failure = (status, code)
    s3_proxy.failing_methods = failing_methods

    home = client.get("/")
    detail = client.get(post.get_absolute_url())

    assert any(request.split()[0] in failing_methods for request in s3_proxy.requests), s3_proxy.requests
    for page in (home, detail):
        assert page.status_code == 200
        assert f'<img src="{original_url}"' in page.content.decode()
