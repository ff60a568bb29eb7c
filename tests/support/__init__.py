"""Helpers the tests and benchmarks share, imported by name (never from a conftest):

servers.py    throwaway Redis and S3 servers on free ports, built on project.services
waiting.py    polling a real side effect of another process or thread
queues.py     emptying the Celery queues of the real broker
documents.py  the doc sections benchmarks and stack runs rewrite with their figures
deploy.py     config.json for the deploy settings, and Python run under them in a clean process
photos.py     photo-like test images made on the spot
s3_proxy.py   a counting (and failing, on demand) HTTP proxy in front of the real S3 endpoint
pages.py      a small site with every kind of public page, its URLs, the admin post form
compose.py    Compose v2 and the Compose schema check, without a Docker engine
browser.py    driving the admin's widgets in Playwright
readers.py    reader threads reading pages until told to stop, every outcome kept
headers.py    the header checks redbot makes, and a static file compressed as deployed
nginx.py      project/deploy/nginx.conf run by the real nginx in front of a test's app servers
"""
