"""greensio for ``gunicorn -k gevent -w N gunicorn_greensio:app`` (the worker monkey-patches).

With ``BENCH_REDIS_URL`` set (``app.build``), a RedisManager: several workers without sticky
sessions. Each worker says ``WORKER READY <pid>`` once the app is loaded.
"""

import os

from app import build

import greensio

app = build(greensio)
print("WORKER READY", os.getpid(), flush=True)
