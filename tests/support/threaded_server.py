"""A greensio server in this process: Werkzeug's threaded server on 127.0.0.1, in a thread.

For tests that look at what the server itself does (its log records, with ``caplog``); the
process is never monkey-patched, so the server runs with ``async_mode='threading'``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from werkzeug.serving import make_server

from tests.support.servers import UNIT


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve the WSGI ``app``; yields its ``http://127.0.0.1:<port>`` URL, stops it on exit."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5 * UNIT)
