"""Servers for the client tests: greensio serving ``tests.apps.client_peer`` and the Node reference
server ``tests/interop/js/reference_server.js`` (the official ``socket.io`` package), which mirrors
it event for event. Both run as child processes on 127.0.0.1 (``ServerProcess``, stopped by PID).
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.servers import ROOT, UNIT, ServerProcess, python_server

APP = "tests.apps.client_peer:build"
JS_DIR = ROOT / "tests" / "interop" / "js"
REFERENCE_SERVER = JS_DIR / "reference_server.js"
#: The two servers every client behaviour is checked against.
IMPLS = ("greensio", "node")

_npm_lock = threading.Lock()


def node_or_skip() -> str:
    """The ``node`` executable, with ``socket.io`` installed in tests/interop/js (``npm ci`` once).

    Skips when Node or npm is not on this machine, as the JS interop tests do.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the Node reference server")
    with _npm_lock:
        if not (JS_DIR / "node_modules" / "socket.io").is_dir():
            verb = "ci" if (JS_DIR / "package-lock.json").is_file() else "install"
            done = subprocess.run(
                [npm, verb, "--no-audit", "--no-fund"],
                cwd=JS_DIR,
                capture_output=True,
                text=True,
                timeout=300 * UNIT,
            )
            if done.returncode != 0:
                pytest.fail(f"npm {verb} failed in {JS_DIR}:\n{done.stdout}\n{done.stderr}")
    return node


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
