"""Broadsheet's apps, each importing only those below it:

    blog      the publication (uses every app below)
    images    uploads and thumbnails
    caching   the caching pipeline
    ops       health checks, Server-Timing
    replicas  read replicas: routing, read-your-writes, lag
    security  client identity, rate limits, login throttle, CSP,
              the signed-in marker
    core      what every app shares

tests/project/test_app_layers.py enforces the order.
"""
