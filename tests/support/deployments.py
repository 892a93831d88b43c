"""Starting the servers of the deployment rows (tests/interop/test_deployments.py) that the
other helpers do not: Werkzeug's development server on a port picked first, and anything run by
the pinned eventlet environment's python."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from tests.support.servers import ROOT, ServerProcess

#: ``make install-eventlet``'s virtualenv: gunicorn 25.3.0 (the last with an eventlet worker),
#: eventlet 0.41.3, gevent and greensio.
EVENTLET_PYTHON = ROOT / ".venv-eventlet" / "bin" / "python"


def eventlet_python() -> str:
    """The pinned eventlet environment's python; skips only when that environment is missing
    (``make install`` makes it: CI never skips)."""
    if not EVENTLET_PYTHON.exists():
        pytest.skip("the pinned eventlet environment is missing: make install-eventlet")
    return str(EVENTLET_PYTHON)


def free_port() -> int:
    """A port for a server that cannot be told to take one the kernel picks (Werkzeug's)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def werkzeug(argv: Callable[[int], list[str]], mode: str = "threading") -> ServerProcess:
    """Werkzeug's development server, started by ``argv(port)`` (app.run(), flask run). The port
    is picked before the server binds it: another process may take it first, hence the retries."""
    for attempt in range(3):
        port = free_port()
        server = ServerProcess(argv(port), port=port, env={"GREENSIO_ASYNC_MODE": mode})
        try:
            return server.start(ready_line=" * Running on")
        except RuntimeError:
            if attempt == 2 or "Address already in use" not in server.log:
                raise
    raise AssertionError("unreachable")
