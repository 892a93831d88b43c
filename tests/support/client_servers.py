"""Servers for the client tests: greensio serving ``tests.apps.client_peer`` and the Node reference
server ``tests/interop/js/reference_server.js`` (the official ``socket.io`` package), which mirrors
it event for event. Both run as child processes on 127.0.0.1 (``ServerProcess``, stopped by PID).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.node import JS_DIR, node_with_packages
from tests.support.servers import UNIT, ServerProcess, python_server

APP = "tests.apps.client_peer:build"
REFERENCE_SERVER = JS_DIR / "reference_server.js"
#: The two servers every client behaviour is checked against.
IMPLS = ("greensio", "node")


def node_or_skip() -> str:
    """The ``node`` executable, with tests/interop/js's packages installed (skips without Node)."""
    return node_with_packages("socket.io")


def peer_server(
    impl: str,
    *,
    port: int = 0,
    transports: list[str] | None = None,
    ping_interval: float | None = None,
    ping_timeout: float | None = None,
    serializer: str | None = None,
    tls: tuple[str, str] | None = None,
) -> ServerProcess:
    """A client-peer server (not started): ``impl`` is ``'greensio'`` or ``'node'``.

    ``tls`` is (certificate file, key file) for HTTPS; the Node server only.
    """
    if impl == "node":
        argv = [node_or_skip(), str(REFERENCE_SERVER), "--port", str(port)]
        if tls is not None:
            argv += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        if transports is not None:
            argv += ["--transports", ",".join(transports)]
        if ping_interval is not None:
            argv += ["--ping-interval", str(ping_interval)]
        if ping_timeout is not None:
            argv += ["--ping-timeout", str(ping_timeout)]
        if serializer is not None:
            argv += ["--parser", serializer]
        return ServerProcess(argv)
    assert tls is None, "TLS is for the Node server only"
    options: dict[str, Any] = {}
    if transports is not None:
        options["transports"] = transports
    if ping_interval is not None:
        options["ping_interval"] = ping_interval
    if ping_timeout is not None:
        options["ping_timeout"] = ping_timeout
    if serializer is not None:
        options["serializer"] = serializer
    server = python_server(APP, **options)
    server.argv += ["--port", str(port)]
    return server


def same_port(server: ServerProcess) -> ServerProcess:
    """A fresh (not started) copy of ``server`` that will listen on the port it had."""
    argv = list(server.argv)
    argv[argv.index("--port") + 1] = str(server.port)
    return ServerProcess(argv)


def wait_until(condition: Callable[[], object], timeout: float = 3 * UNIT) -> None:
    """Poll ``condition`` until it is true; fails after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.01 * UNIT)
