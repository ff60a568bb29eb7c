"""Who is asking: the client's address, and whether a browser sent the
request from one of our own pages."""


def client_address(request):
    """The address the request came from, for per-client limits."""
    return request.META["REMOTE_ADDR"]


def is_same_origin(request):
    """True when the browser says the request comes from a page of this site.

    Browsers send Sec-Fetch-Site with every request (Chrome 76, Firefox 90,
    Safari 16.4) and a page cannot forge it; older ones send Origin with a
    POST. A request with neither did not come from a browser on our page.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin == f"{request.scheme}://{request.get_host()}"
