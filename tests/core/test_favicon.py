"""Browsers ask every site for /favicon.ico; a 404 there is a console error on every page."""

import io

from PIL import Image


def test_the_favicon_is_served_at_the_root(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as icon:
        assert icon.format == "ICO"
        assert icon.size == (48, 48)
