"""End to end: the Flask chat example under a real ``gunicorn -k gevent``, python-socketio's client.

The server is the reference deployment: gunicorn's gevent worker (which monkey-patches itself)
serving examples/flask_chat/app.py, a Flask app wrapped by ``WSGIApp``. The peers are
python-socketio's ``socketio.Client`` from PyPI, a foreign implementation, over WebSocket,
long-polling, and polling upgraded to WebSocket.

``GREENSIO_INTEROP_IMPL`` picks the server side: ``greensio`` (the default) serves the example
itself; ``socketio`` serves the same source on python-socketio (tests/apps/flask_chat_socketio.py),
which checks that this test expects what the reference implementation does.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import socketio

from tests.support.servers import ROOT, UNIT

IMPL = os.environ.get("GREENSIO_INTEROP_IMPL", "greensio")
APPS = {
    "greensio": "examples.flask_chat.app:app",
    "socketio": "tests.apps.flask_chat_socketio:app",
}
WAIT = 5 * UNIT  # one event, one ack, one HTTP request

pytestmark = pytest.mark.timeout(60 * UNIT)


class Gunicorn:
    """``gunicorn -k gevent -w 1`` on 127.0.0.1 and a port the kernel picks, stopped by its PID.

    ``worker`` (``-k``), ``options`` (more command-line arguments), ``python`` (whose gunicorn:
    the pinned environment's for ``-k eventlet``) and ``env`` (added to the environment) serve
    the other rows of tests/interop/test_deployments.py.
    """

    LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")

    def __init__(
        self,
        app: str,
        worker: str = "gevent",
        options: tuple[str, ...] = (),
        python: str = sys.executable,
        env: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.worker, self.options, self.python = worker, options, python
        self.env = env or {}
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self._listening = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def argv(self) -> list[str]:
        argv = [self.python, "-m", "gunicorn", "-k", self.worker, "-w", "1", "-b", "127.0.0.1:0"]
        argv += ["--graceful-timeout", str(max(1, round(WAIT))), "--log-level", "info"]
        import gunicorn.config

        if hasattr(gunicorn.config, "ControlSocketDisable"):
            # gunicorn >= 25.1 opens a control socket at one fixed path per user; two servers
            # (a test and a demo, or two test runs) would fight over it.
            argv.append("--no-control-socket")
        return [*argv, *self.options, self.app]

    def start(self) -> Gunicorn:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", **self.env)
        self.proc = subprocess.Popen(
            self.argv(),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: a stuck worker is killed with it
        )
        threading.Thread(target=self._pump, daemon=True).start()
        try:
            if not self._listening.wait(20 * UNIT):
                raise RuntimeError("gunicorn did not bind")
            self._wait_until_serving(deadline=time.monotonic() + 20 * UNIT)
        except BaseException as exc:
            self.stop()
            raise RuntimeError(f"gunicorn did not start ({exc}):\n{self.log}") from exc
        return self

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            match = self.LISTENING.search(line)
            if match and not self._listening.is_set():
                self.port = int(match.group(1))
                self._listening.set()

    def _wait_until_serving(self, deadline: float) -> None:
        # The master binds before the worker has imported the app; the first answer proves both.
        assert self.proc is not None
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.proc.returncode}")
            try:
                if requests.get(self.url + "/", timeout=UNIT).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not answer GET /")
            time.sleep(0.1 * UNIT)

    def stop(self) -> None:
        """SIGTERM to the master (a graceful stop); SIGKILL to its process group if that hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(3 * WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(WAIT)


class ChatClient:
    """A python-socketio client that records every event it receives, in order."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.sio = socketio.Client(reconnection=False)
        self._received: list[tuple[str, Any]] = []
        self._changed = threading.Condition()
        self.sio.on("*", self._record)

    def _record(self, event: str, *args: Any) -> None:
        with self._changed:
            self._received.append((event, args[0] if len(args) == 1 else args))
            self._changed.notify_all()

    def connect(self, url: str, transports: list[str] | None) -> ChatClient:
        auth = None if self.name is None else {"name": self.name}
        self.sio.connect(url, transports=transports, auth=auth, wait_timeout=WAIT)
        return self

    def received(self, event: str) -> list[Any]:
        with self._changed:
            return [data for name, data in self._received if name == event]

    def expect(self, event: str, want: Any) -> Any:
        """Wait for ``event`` whose data equals ``want`` (or satisfies it, if callable)."""
        match: Callable[[Any], bool] = want if callable(want) else (lambda data: data == want)

        def found() -> Any:
            return next((data for data in self.received(event) if match(data)), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, WAIT):
                pytest.fail(f"{self.name} never got {event} {want!r}; got {self._received!r}")
        return found()


@pytest.fixture(scope="module")
def chat_server() -> Iterator[Gunicorn]:
    gunicorn = Gunicorn(APPS[IMPL]).start()
    try:
        yield gunicorn
    finally:
        gunicorn.stop()
    # A traceback means an exception escaped into gunicorn's log: a peer's ordinary behaviour
    # (connecting, leaving, renaming) must never produce one.
    assert "Traceback" not in gunicorn.log, gunicorn.log


@pytest.fixture
def connect(chat_server: Gunicorn) -> Iterator[Callable[..., ChatClient]]:
    """``connect(prefix, transports)``: a connected client with a fresh name (None: no auth)."""
    clients: list[ChatClient] = []
    log_start = len(chat_server.lines)

    def _connect(prefix: str | None, transports: list[str] | None = None) -> ChatClient:
        name = None if prefix is None else f"{prefix}-{uuid.uuid4().hex[:6]}"
        client = ChatClient(name)
        clients.append(client)
        return client.connect(chat_server.url, transports)

    yield _connect
    for client in clients:
        if client.sio.connected:
            client.sio.disconnect()
    # Captured output: pytest shows it with a failing test's report, and drops it otherwise.
    print(f"gunicorn output during the test ({IMPL}):", *chat_server.lines[log_start:], sep="\n")


def online(server: Gunicorn) -> list[str]:
    """The names the chat app lists as online, from its plain Flask route."""
    response = requests.get(server.url + "/api/users", timeout=WAIT)
    response.raise_for_status()
    return response.json()["users"]


def barrier(*clients: ChatClient) -> None:
    """A no-op round trip per client (set_name with an unusable name changes nothing)."""
    for client in clients:
        assert set(client.sio.call("set_name", "", timeout=WAIT)) == {"error"}


def test_plain_flask_routes_pass_through_the_middleware(chat_server: Gunicorn) -> None:
    page = requests.get(chat_server.url + "/", timeout=WAIT)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<title>greensio chat</title>" in page.text
    assert "/static/socket.io.min.js" in page.text

    assert isinstance(online(chat_server), list)
    assert requests.get(chat_server.url + "/no-such-page", timeout=WAIT).status_code == 404


def test_socketio_path_goes_to_the_server(chat_server: Gunicorn) -> None:
    # An Engine.IO v4 handshake over polling: 0{"sid":...,"upgrades":["websocket"],...}
    response = requests.get(
        chat_server.url + "/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=WAIT
    )
    assert response.status_code == 200
    assert response.text.startswith('0{"sid":')
    assert '"upgrades":["websocket"]' in response.text


def test_each_transport_connects(chat_server: Gunicorn, connect: Callable[..., ChatClient]) -> None:
    alice = connect("alice", ["websocket"])
    bob = connect("bob", ["polling"])
    carol = connect("carol")  # polling first, then the upgrade to WebSocket, within connect()

    assert alice.sio.transport() == "websocket"
    assert bob.sio.transport() == "polling"
    assert carol.sio.transport() == "websocket"
    assert {alice.name, bob.name, carol.name} <= set(online(chat_server))


def test_joining_is_announced_with_the_auth_name(connect: Callable[..., ChatClient]) -> None:
    alice = connect("alice", ["websocket"])
    bob = connect("bob", ["polling"])
    alice.expect("joined", {"name": bob.name})

    connect(None, ["websocket"])  # no auth payload at all
    alice.expect("joined", lambda data: data["name"].startswith("guest-"))
    assert {"name": alice.name} not in alice.received("joined")


def test_message_goes_to_everyone_but_the_sender(connect: Callable[..., ChatClient]) -> None:
    alice = connect("alice", ["websocket"])
    bob = connect("bob", ["polling"])
    carol = connect("carol")

    alice.sio.emit("message", "hello from alice")
    bob.expect("message", {"name": alice.name, "text": "hello from alice"})
    carol.expect("message", {"name": alice.name, "text": "hello from alice"})

    bob.sio.emit("message", "hello from bob")
    alice.expect("message", {"name": bob.name, "text": "hello from bob"})
    carol.expect("message", {"name": bob.name, "text": "hello from bob"})

    # Had skip_sid failed, alice's own message would have reached her wire before bob's reply.
    # python-socketio's client runs each handler on a thread of its own, in no set order: a
    # round trip to the server after that lets any such stray handler finish before the check.
    barrier(alice, bob)
    assert [m["name"] for m in alice.received("message")] == [bob.name]
    assert [m["name"] for m in bob.received("message")] == [alice.name]


def test_set_name_is_acknowledged(connect: Callable[..., ChatClient]) -> None:
    alice = connect("alice", ["websocket"])
    bob = connect("bob", ["polling"])

    reply = bob.sio.call("set_name", "  Bob   the\tBuilder ", timeout=WAIT)
    assert reply == {"name": "Bob the Builder"}
    alice.expect("renamed", {"old": bob.name, "new": "Bob the Builder"})

    reply = alice.sio.call("set_name", "   ", timeout=WAIT)
    assert set(reply) == {"error"}

    bob.sio.emit("message", "renamed")
    alice.expect("message", {"name": "Bob the Builder", "text": "renamed"})
    assert bob.received("renamed") == []


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]], ids=["websocket", "polling"])
def test_disconnect_is_announced(
    chat_server: Gunicorn, connect: Callable[..., ChatClient], transports: list[str]
) -> None:
    alice = connect("alice", ["websocket"])
    bob = connect("bob", transports)
    assert bob.name in online(chat_server)

    bob.sio.disconnect()
    assert not bob.sio.connected
    alice.expect("left", {"name": bob.name})
    assert bob.name not in online(chat_server)
