"""Interop fixtures: the interop app in a child server (``Server`` under pywsgi, ``AsyncServer``
under uvicorn and under hypercorn), and the official JS client as a peer.

The server package comes from ``GREENSIO_INTEROP_IMPL``: ``greensio`` (default) or ``socketio``
(python-socketio, the reference these tests were validated against). One server runs per transport
set for the whole session; a failing test's report gets the server output logged while it ran.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass

import pytest

from tests.support.node import JS_DIR, node_with_packages
from tests.support.servers import UNIT, ServerProcess, python_server

IMPL = os.environ.get("GREENSIO_INTEROP_IMPL", "greensio")
APP = "tests.apps.interop:build"

#: Client transport lists by test id; the server is started with the same list.
TRANSPORTS = {
    "polling": ["polling"],
    "websocket": ["websocket"],
    "upgrade": ["polling", "websocket"],
}


@pytest.fixture(scope="session", params=list(TRANSPORTS))
def transports(request) -> list[str]:
    """The transports both sides allow: polling only, WebSocket only, or polling then upgrade."""
    return TRANSPORTS[request.param]


#: Server heartbeat in whole seconds. Short, so that heartbeats run during the tests, and because
#: python-engineio's client can lose its CLOSE packet on a polling disconnect (its write loop stops
#: once its state leaves 'connected'); its disconnect() then waits for the server's next PING.
PING_INTERVAL = max(1, round(2 * UNIT))


#: The front-ends the interop tests run against: the app (one source, tests/apps/async_interop.py,
#: and its generated twin), the web server, the ``async_mode``.
FRONT_ENDS = {
    "Server-pywsgi": ("tests.apps.interop:build", "pywsgi", "gevent"),
    "AsyncServer-uvicorn": ("tests.apps.async_interop:build", "uvicorn", "asgi"),
    "AsyncServer-hypercorn": ("tests.apps.async_interop:build", "hypercorn", "asgi"),
}


@pytest.fixture(scope="session", params=list(FRONT_ENDS))
def front_end(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def interop_server(front_end: str, transports: list[str]):
    app, web_server, async_mode = FRONT_ENDS[front_end]
    server = python_server(
        app,
        impl=IMPL,
        server=web_server,
        async_mode=async_mode,
        transports=transports,
        ping_interval=PING_INTERVAL,
    ).start()
    yield server
    server.stop()


@pytest.fixture
def server(request, interop_server: ServerProcess) -> ServerProcess:
    """The running interop server; remembers where its output stood when the test began."""
    request.node.stash[_OUTPUT_START] = len(interop_server.output)
    return interop_server


_OUTPUT_START = pytest.StashKey[int]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the server's output during a failed test to its report."""
    report = yield
    server = getattr(item, "funcargs", {}).get("server")
    if report.failed and isinstance(server, ServerProcess):
        start = item.stash.get(_OUTPUT_START, 0)
        report.sections.append(
            (f"server output ({IMPL})", "".join(server.output[start:]) or "(none)")
        )
    return report


@dataclass
class JsClient:
    """Runs one ``run_client.js`` scenario in a Node child process and returns its observations."""

    node: str

    def run(self, server: ServerProcess, scenario: str, transports: list[str]) -> dict:
        argv = [
            self.node,
            str(JS_DIR / "run_client.js"),
            server.url,
            scenario,
            json.dumps(transports),
        ]
        env = dict(os.environ, GREENSIO_TEST_UNIT=str(UNIT))
        # run_client.js stops itself after 10 units; this bound only catches a wedged Node process.
        done = subprocess.run(
            argv, cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=15 * UNIT
        )
        lines = done.stdout.strip().splitlines()
        try:
            observed = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            observed = {"error": "no JSON line on stdout", "stdout": done.stdout}
        if done.returncode != 0 or "error" in observed:
            raise AssertionError(
                f"JS scenario {scenario!r} over {transports} failed (exit {done.returncode}): "
                f"{json.dumps(observed, ensure_ascii=False)}\nstderr:\n{done.stderr}"
            )
        return observed


@pytest.fixture(scope="session")
def js_client() -> JsClient:
    """The official socket.io-client under Node; installs it into tests/interop/js on first use."""
    node = node_with_packages("socket.io-client")
    return JsClient(node)
