"""One path, hammered by closed-loop users: `BENCH_PATH=/bench/naive/ locust -f ...`.

FastHttpUser (geventhttpclient) keeps Locust's own CPU small on a two-core
machine that also runs gunicorn and PostgreSQL.
"""

import os

from locust import FastHttpUser, constant, task

BENCH_PATH = os.environ["BENCH_PATH"]


class Reader(FastHttpUser):
    wait_time = constant(0)

    @task
    def read_page(self):
        self.client.get(BENCH_PATH, name=BENCH_PATH.split("?")[0])
