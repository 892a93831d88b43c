"""A cluster node as a module-level WSGI app for ``gunicorn -w N -k gevent``: every worker is a
node of ``tests.support.cluster_app`` on the Redis at ``$GREENSIO_TEST_REDIS_URL`` (channel
``$GREENSIO_TEST_CHANNEL``). Each worker prints ``WORKER READY <pid>`` once it has built it."""

from __future__ import annotations

import os
from typing import Any

import greensio
from tests.support import cluster_app

_socketio = cluster_app.build(
    greensio,
    manager="redis",
    url=os.environ["GREENSIO_TEST_REDIS_URL"],
    channel=os.environ["GREENSIO_TEST_CHANNEL"],
)
print(f"WORKER READY {os.getpid()}", flush=True)


def app(environ: dict[str, Any], start_response: Any) -> Any:
    return _socketio(environ, start_response)
