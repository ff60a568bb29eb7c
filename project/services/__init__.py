"""The project's own PostgreSQL, Redis (broker and cache) and S3 endpoint, for
development and tests; `python -m project.services --help` lists the commands.

    constants.py  ports, credentials, URLs and buckets: all that settings import
    programs.py   where Debian puts each program, and which packages are missing
    processes.py  waiting, ports, pids and daemons, shared with tests/support
    postgres.py, redis_server.py, seaweedfs.py   one class per kind of server
    replica.py    the hot standby of postgres.py's cluster (the read replica)
    backups.py    pgBackRest: WAL archiving and backups of `make stack`'s primary
    table.py      the five services by name, and start/stop/reset under a lock
    __main__.py   the command line
    stack.py      `make stack`: nginx, two app servers, workers and beat on their own services

This file imports nothing, so that `from project.services.constants import ...`
(deploy settings included) never loads the runner.
"""
