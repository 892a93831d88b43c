"""greensio.AsyncClient, AsyncClientNamespace and AsyncSimpleClient used as asyncio code uses them
(``asyncio.run`` in each test), against greensio's server and the Node reference server.

The behaviours both front-ends share are checked on both by test_client.py and test_simple.py;
here are the ones only asyncio code can show: coroutine handlers (in order, their return value the
ack), a coroutine disconnect handler that ``disconnect()`` waits for, ``disconnect()`` from a
handler, ``async with``, and the asyncio-only misuse errors.
"""

from __future__ import annotations

import asyncio
import time

import pytest

import greensio
from greensio import exceptions
from tests.apps.interop import PRIVATE, SERVER_BLOB, TOKEN
from tests.support.client_servers import IMPLS, peer_server
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(30 * UNIT)

STEP = 3 * UNIT


@pytest.fixture(scope="module", params=IMPLS)
def server(request):
    proc = peer_server(request.param).start()
    yield proc
    proc.stop()


def new_client(**options) -> greensio.AsyncClient:
    settings = {"reconnection": False, "handle_sigint": False, "request_timeout": 5 * UNIT}
    return greensio.AsyncClient(**{**settings, **options})


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_coroutine_handlers_run_in_order_and_answer(server, transport) -> None:
    async def main() -> list[object]:
        client = new_client()
        seen: list[object] = []
        answered = asyncio.Event()

        @client.on("echo_event")
        async def echoed(data):
            seen.append(("start", data))
            await asyncio.sleep(0.05 * UNIT)  # the next event waits for this one
            seen.append(("end", data))

        @client.on("question")
        async def question(data):
            await asyncio.sleep(0)
            return {"answered": data}

        @client.event
        def answer(data):  # a plain function, beside the coroutines
            seen.append(("answer", data))
            answered.set()

        await client.connect(server.url, transports=[transport])
        for n in (1, 2, 3):
            await client.emit("echo_event", n)
        await client.emit("ask_client", "q")
        await asyncio.wait_for(answered.wait(), STEP)
        assert await client.call("binary", b"\x01", timeout=STEP) == (SERVER_BLOB, b"\x01")
        await client.disconnect()
        return seen

    seen = asyncio.run(main())
    assert seen == [
        ("start", 1),
        ("end", 1),
        ("start", 2),
        ("end", 2),
        ("start", 3),
        ("end", 3),
        ("answer", [{"answered": "q"}]),
    ]


def test_disconnect_waits_for_a_coroutine_disconnect_handler(server) -> None:
    async def main() -> list[str]:
        client = new_client()
        ran: list[str] = []

        @client.event
        async def disconnect(reason):
            await asyncio.sleep(0.2 * UNIT)
            await client.disconnect()  # from the handler: it must not wait for itself
            ran.append(reason)

        await client.connect(server.url, transports=["websocket"])
        await client.disconnect()
        assert ran == ["client disconnect"]  # before disconnect() returned
        await asyncio.wait_for(client.wait(), STEP)
        return ran

    assert asyncio.run(main()) == ["client disconnect"]


def test_disconnect_waits_for_handlers_after_a_failed_connect(server) -> None:
    # connect() runs the connect_error handlers in the caller's task: that task is not a
    # handler's afterwards, and its disconnect() still waits for the disconnect handler.
    async def main() -> list[str]:
        client = new_client()
        ran: list[str] = []

        @client.event
        async def connect_error(data):
            await asyncio.sleep(0)

        @client.event
        async def disconnect(reason):
            await asyncio.sleep(0.1 * UNIT)
            ran.append(reason)

        with pytest.raises(exceptions.ConnectionError):
            await client.connect("http://127.0.0.1:1", transports=["websocket"])
        await client.connect(server.url, transports=["websocket"])
        await client.disconnect()
        return ran

    assert asyncio.run(main()) == ["client disconnect"]


def test_disconnect_from_a_handler_returns_at_once(server) -> None:
    async def main() -> float:
        client = new_client()
        took: list[float] = []
        done = asyncio.Event()

        @client.on("echo_event")
        async def echoed(data):
            start = time.monotonic()
            await client.disconnect()
            took.append(time.monotonic() - start)
            done.set()

        await client.connect(server.url, transports=["polling"])
        await client.emit("echo_event", "disconnect, please")
        await asyncio.wait_for(done.wait(), STEP)
        await asyncio.wait_for(client.wait(), STEP)
        assert not client.connected
        return took[0]

    assert asyncio.run(main()) < 1 * UNIT


def test_emits_while_disconnecting_are_dropped_not_errors(server) -> None:
    async def main() -> object:
        client = new_client()
        started, dropped = asyncio.Event(), asyncio.Future()

        @client.on("echo_event")
        async def late(data):
            started.set()
            while client.connected:  # disconnect() has left the namespace...
                await asyncio.sleep(0.01 * UNIT)
            # ...and waits for this handler, which emits meanwhile
            await client.emit("echo", "too late", callback=dropped.set_result, timeout=STEP)

        await client.connect(server.url, transports=["websocket"])
        await client.emit("echo_event", "go")
        await asyncio.wait_for(started.wait(), STEP)
        await client.disconnect()
        error = await asyncio.wait_for(dropped, STEP)
        with pytest.raises(exceptions.BadNamespaceError):
            await client.emit("echo", "once disconnect() has returned, an emit raises")
        return error

    assert isinstance(asyncio.run(main()), exceptions.DisconnectedError)


def test_call_timeout_and_background_tasks(server) -> None:
    async def main() -> None:
        client = new_client()
        await client.connect(server.url, transports=["websocket"])
        start = time.monotonic()
        with pytest.raises(exceptions.TimeoutError):
            await client.call("never_acked", timeout=0.3 * UNIT)
        assert 0.25 * UNIT < time.monotonic() - start < 1.5 * UNIT

        async def ask(text):
            await client.sleep(0.01)
            return await client.call("echo", text, timeout=STEP)

        task = client.start_background_task(ask, "from a task")
        assert isinstance(task, asyncio.Task)
        assert await task == "from a task"
        await client.disconnect()

    asyncio.run(main())


class Root(greensio.AsyncClientNamespace):
    def __init__(self) -> None:
        super().__init__()
        self.seen: asyncio.Queue = asyncio.Queue()

    async def on_connect(self):
        await self.emit("echo_event", "from on_connect")

    async def on_echo_event(self, data):
        await self.seen.put(("echo_event", data))

    def on_question(self, data):  # a plain method: its return value is the ack
        return ["answered", data]

    async def on_answer(self, data):
        await self.seen.put(("answer", data))

    async def on_disconnect(self, reason):
        await self.seen.put(("disconnect", reason))


class Private(greensio.AsyncClientNamespace):
    def __init__(self) -> None:
        super().__init__(PRIVATE)
        self.seen: asyncio.Queue = asyncio.Queue()

    async def on_welcome(self, data):
        await self.seen.put(("welcome", data))

    def on_disconnect(self):  # the legacy form, without the reason
        self.seen.put_nowait(("disconnect",))


def test_async_client_namespaces(server) -> None:
    async def main() -> None:
        client = new_client()
        root, private = Root(), Private()
        client.register_namespace(root)
        client.register_namespace(private)
        assert root.client is client
        await client.connect(server.url, auth=TOKEN)
        assert set(client.namespaces) == {"/", PRIVATE}

        async def next_of(ns):
            return await asyncio.wait_for(ns.seen.get(), STEP)

        assert await next_of(root) == ("echo_event", "from on_connect")
        welcome = {"sid": client.get_sid(PRIVATE), "auth": TOKEN}
        assert await next_of(private) == ("welcome", welcome)
        await root.emit("ask_client", "q")
        assert await next_of(root) == ("answer", [["answered", "q"]])
        assert await private.call("echo", (1, b"\x00"), timeout=STEP) == (1, b"\x00")
        assert await private.call("echo", "to root", namespace="/", timeout=STEP) == "to root"
        await root.send("a 'message' event, which the server ignores")
        await private.emit("kick")
        assert await next_of(private) == ("disconnect",)
        await root.disconnect()
        assert await next_of(root) == ("disconnect", "client disconnect")
        assert not client.connected

    asyncio.run(main())


def test_a_namespace_must_be_registered_first() -> None:
    loose = greensio.AsyncClientNamespace("/loose")

    async def main() -> None:
        for use in (loose.emit("x"), loose.send("x"), loose.call("x"), loose.disconnect()):
            with pytest.raises(exceptions.UsageError):
                await use
        assert await loose.trigger_event("anything", 1, 2) is None

    asyncio.run(main())


@pytest.mark.parametrize("transport", ["polling", "websocket", "upgrade"])
def test_async_simple_client(server, transport) -> None:
    transports = None if transport == "upgrade" else [transport]

    async def main() -> None:
        async with greensio.AsyncSimpleClient(handle_sigint=False) as sio:
            await sio.connect(server.url, auth={"n": 1}, transports=transports)
            assert await sio.receive(timeout=STEP) == [
                "welcome",
                {"sid": sio.sid, "auth": {"n": 1}},
            ]
            await sio.emit("multi")
            assert await sio.receive(timeout=STEP) == ["multi", 1, "two", {"three": 3}]
            assert await sio.call("echo", ("a", 1), timeout=STEP) == ("a", 1)
            with pytest.raises(exceptions.TimeoutError):
                await sio.receive(timeout=0.1 * UNIT)
            client = sio.client
        assert client is not None and not client.connected and not sio.connected

    asyncio.run(main())


def test_misuse() -> None:
    # the namespace classes and the handlers of one front-end are refused by the other's client
    with pytest.raises(exceptions.UsageError, match="subclass AsyncClientNamespace"):
        new_client().register_namespace(greensio.ClientNamespace("/x"))
    with pytest.raises(exceptions.UsageError, match="which Client cannot run"):
        greensio.Client(handle_sigint=False).register_namespace(Root())

    async def coroutine(data):
        pass

    with pytest.raises(exceptions.UsageError, match="AsyncClient"):
        greensio.Client(handle_sigint=False).on("event", coroutine)
    with pytest.raises(exceptions.UsageError, match="http_session"):
        greensio.AsyncClient(http_session=object(), handle_sigint=False)
    with pytest.raises(exceptions.UsageError, match="async_mode"):
        greensio.AsyncClient(async_mode="gevent", handle_sigint=False)


def test_events_stay_in_order_across_the_upgrade() -> None:
    """test_client.py's test of the same name, for the asyncio client: ``welcome`` (brought by
    the last polling GET) is handled before ``username_set`` (brought by the new WebSocket)."""

    class Chat(greensio.AsyncClientNamespace):
        def __init__(self) -> None:
            super().__init__("/chat")
            self.seen: list[str] = []
            self.done = asyncio.Event()

        async def on_connect(self):
            self.seen.append("connect")
            await self.emit("set_username", {"username": "Bob"})

        async def on_welcome(self, data):
            self.seen.append("welcome")

        def on_username_set(self, data):
            self.seen.append("username_set")
            self.done.set()

    async def once() -> list[str]:
        chat = Chat()
        client = greensio.AsyncClient(handle_sigint=False)
        client.register_namespace(chat)
        await client.connect(server.url)
        try:
            await asyncio.wait_for(chat.done.wait(), 5 * UNIT)
        finally:
            await client.disconnect()
        return chat.seen

    server = python_server("tests.apps.seed_server:build").start()
    try:
        for iteration in range(20):
            seen = asyncio.run(once())
            assert seen == ["connect", "welcome", "username_set"], (iteration, seen)
    finally:
        server.stop()
