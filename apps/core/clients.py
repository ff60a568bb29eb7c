"""Who is asking: the client address that per-client limits count against."""


def client_address(request):
    """The address of the client this request came from (the connection's peer)."""
    return request.META["REMOTE_ADDR"]
