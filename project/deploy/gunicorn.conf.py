"""gunicorn's settings for every deploy: the Dockerfile, docker-compose.yml and
`make stack` all start it with `--config project/deploy/gunicorn.conf.py`.

The worker timeout is the last of the request's bounds: every dependency gives
up sooner (docs/reliability.md, "Timeouts"; tests/project/test_gunicorn_conf.py
checks the order), so a hung service costs a reader an error page from Django,
not a killed worker and nginx's 502. nginx's proxy_read_timeout (35 s) is above it.
"""

timeout = 30
# A worker finishing its request at shutdown (a deploy) has this long.
graceful_timeout = 20
