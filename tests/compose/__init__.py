"""`make compose-test` (run.py): docker-compose.yml started for real, on a Docker
engine of its own, one module per job:

engine.py    our own dockerd under .services/docker/, started and stopped by its pid
images.py    the real images where present, else stand-ins built from Debian packages
stack.py     the compose project: up, exec, ps, logs with the test's secrets and ports
checks.py    what a developer would do against it, and the answers expected
commands.py  running a command and saying what happened, shared by the four
"""
