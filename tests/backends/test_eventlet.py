"""greensio/backends/eventlet.py: choosing it, and the checks every backend passes, in child
processes run by the pinned environment's python (``.venv-eventlet``, made by ``make install``:
eventlet is not in the main environment, and the pytest process never imports it).

Importing eventlet warns (``EventletDeprecationWarning``, on stderr): the children filter it
(``QUIET``) so that their output holds only what the checks print.
"""

from __future__ import annotations

import json
import sys

import pytest

from tests.backends import behaviour, test_relay
from tests.backends.test_backends import DETECT, run_python
from tests.backends.test_relay import (  # noqa: F401 - collected here, with this module's results
    test_a_failing_new_reader_still_ends_the_connection,
    test_a_handler_that_blocks_hands_the_reading_on,
    test_a_handler_that_does_not_block_keeps_the_reader,
)
from tests.support.deployments import eventlet_python
from tests.support.servers import UNIT, ServerProcess

pytestmark = pytest.mark.timeout(30 * UNIT)


def run_eventlet(code: str) -> str:
    """Run ``code`` with the pinned environment's python (skipped when it is missing)."""
    return run_python(["-c", code], python=eventlet_python())


#: Run first in every child: hides the warning eventlet's import gives.
QUIET = (
    "import warnings; "
    "warnings.filterwarnings('ignore', message=r'\\s*Eventlet is deprecated', category=Warning); "
)
PATCH = QUIET + "import eventlet; eventlet.monkey_patch(); "


@pytest.mark.parametrize(
    ("prelude", "want"),
    [
        (QUIET + "import eventlet; ", "threading"),  # imported, not patched: threads
        (PATCH, "eventlet"),  # as gunicorn's eventlet worker, or an entry point that patches
        (PATCH + "import gevent; ", "eventlet"),  # patched beats merely imported
        (QUIET + "import eventlet, gevent; ", "gevent"),
    ],
    ids=["imported", "patched", "patched-and-gevent", "gevent-and-eventlet-imported"],
)
def test_auto_detection(prelude, want):
    assert run_eventlet(prelude + DETECT).split() == [want, want]


def test_eventlet_by_name_without_patching():
    code = QUIET + (
        "import eventlet.patcher as p; from greensio.backends import get_backend; "
        "b = get_backend('eventlet'); "
        "print(type(b).__name__, b.name, b.cooperative, p.is_monkey_patched('socket'))"
    )
    assert run_eventlet(code).split() == ["EventletBackend", "eventlet", "True", "False"]


BEHAVIOUR = "from tests.backends.behaviour import main; main('eventlet')"


@pytest.fixture(scope="module", params=["unpatched", "patched"])
def eventlet_results(request) -> dict[str, str | None]:
    """Every backend check, run once against the eventlet backend in a child process, with and
    without ``eventlet.monkey_patch()`` (the backend uses only eventlet's own primitives)."""
    prelude = PATCH if request.param == "patched" else QUIET
    return json.loads(run_eventlet(prelude + BEHAVIOUR).splitlines()[-1])


@pytest.mark.parametrize("name", behaviour.CHECKS)
def test_eventlet_backend(eventlet_results, name):
    failure = eventlet_results[name]
    assert failure is None, failure


@pytest.fixture(scope="module")
def results() -> dict:
    """tests/backends/test_relay.py's checks of the reader relay, run under eventlet."""
    code = test_relay.CHECKS.replace(
        "import json, gevent, greenlet\nfrom greensio.backends.gevent import GeventBackend",
        "import json, eventlet as gevent, greenlet\n"
        "from greensio.backends.eventlet import EventletBackend as GeventBackend",
    )
    assert "EventletBackend" in code
    return json.loads(run_eventlet(QUIET + "\n" + code).strip().splitlines()[-1])


SOCKETS = QUIET + (
    "import socket, eventlet.green.socket as green, gevent.socket as gsock; "
    "from greensio.backends.sockets import socket_kind, direct_io; "
    "a, b = green.socketpair(); c, d = gsock.socketpair(); e, f = socket.socketpair(); "
    "print(socket_kind(a), socket_kind(c), socket_kind(e), direct_io(a) is None)"
)


def test_whose_socket():
    """An eventlet socket is told from gevent's and a standard one; it has no direct calls
    (only gevent's sockets do: the WebSocket reads and writes through eventlet's own)."""
    assert run_eventlet(SOCKETS).split() == ["eventlet", "gevent", "threading", "True"]


def test_this_process_has_not_imported_eventlet():
    assert "eventlet" not in sys.modules


CLIENT = (
    PATCH
    + """
import greensio
for transports in (["websocket"], ["polling"], None):
    client = greensio.Client(async_mode="eventlet", reconnection=False)
    client.on("question", lambda data: ["answer", data])
    client.connect(URL, transports=transports, wait_timeout=5 * UNIT)
    ack = client.call("echo", 1, timeout=5 * UNIT)
    print(client.transport(), ack, client.call("ask", 2, timeout=5 * UNIT))
    client.disconnect()
"""
)


def test_greensio_client_on_eventlet():
    """greensio's own client, on eventlet, against a server on eventlet.wsgi (both patched):
    WebSocket, polling and the upgrade, an ack, and the server's call() answered."""
    argv = [eventlet_python(), "-m", "tests.support.serve_eventlet"]
    server = ServerProcess([*argv, "--app", "tests.apps.deployment:build"]).start()
    try:
        code = f"URL = {server.url!r}; UNIT = {UNIT!r}\n" + CLIENT
        lines = run_eventlet(code).splitlines()
    finally:
        server.stop()
    assert lines == [f"{t} 1 ['answer', 2]" for t in ("websocket", "polling", "websocket")]
