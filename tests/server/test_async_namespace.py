"""``AsyncNamespace``: the seed's AsyncChatNamespace and AsyncGameNamespace (tests/apps/
seed_async_server.py, as written in the seed) on ``AsyncServer`` under uvicorn, with
python-socketio's ``AsyncClient`` as the peer, over long-polling, WebSocket and the upgrade."""

from __future__ import annotations

import asyncio

import pytest
import socketio

from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(40 * UNIT)

TRANSPORTS = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}
STEP = 5 * UNIT


@pytest.fixture(scope="module")
def server():
    process = python_server("tests.apps.seed_async_server:build", server="uvicorn").start()
    yield process
    process.stop()


class Recorder:
    """An ``AsyncClient`` on one namespace whose events land in a queue."""

    def __init__(self, namespace: str, events: tuple[str, ...]) -> None:
        self.sio = socketio.AsyncClient()
        self.namespace = namespace
        self.events: asyncio.Queue = asyncio.Queue()
        for event in events:
            self.sio.on(event, self._recorder(event), namespace=namespace)

    def _recorder(self, event: str):
        async def record(*args):
            await self.events.put((event, *args))

        return record

    async def connect(self, url: str, transports) -> None:
        await self.sio.connect(url, namespaces=[self.namespace], transports=transports)

    async def next(self):
        return await asyncio.wait_for(self.events.get(), STEP)


@pytest.mark.parametrize("transports", list(TRANSPORTS))
def test_async_chat_namespace(server, transports):
    async def scenario():
        events = ("welcome", "status", "user_joined", "message")
        alice, bob = Recorder("/chat", events), Recorder("/chat", events)
        for peer in (alice, bob):
            await peer.connect(server.url, TRANSPORTS[transports])
        seen = {"welcome": [await alice.next(), await bob.next()]}
        await alice.sio.emit("join_room", {"room": "r1"}, namespace="/chat")
        seen["status"] = await alice.next()
        await bob.sio.emit("join_room", {"room": "r1"}, namespace="/chat")
        seen["bob_status"] = await bob.next()
        seen["user_joined"] = await alice.next()
        await bob.sio.emit("chat_message", {"message": "hi", "room": "r1"}, namespace="/chat")
        seen["alice_message"] = await alice.next()
        seen["bob_message"] = await bob.next()  # the sender is in the room too
        seen["info"] = await alice.sio.call(
            "get_user_info", {"user_id": 3}, namespace="/chat", timeout=STEP
        )
        seen["bob_sid"] = bob.sio.get_sid("/chat")
        for peer in (alice, bob):
            await peer.sio.disconnect()
        return seen

    seen = asyncio.run(scenario())
    assert seen["welcome"] == [("welcome", {"message": "Welcome!"})] * 2
    assert seen["status"] == ("status", {"message": "Joined r1"})
    assert seen["user_joined"] == ("user_joined", {"sid": seen["bob_sid"]})
    event, message = seen["alice_message"]
    assert (event, message["username"], message["message"]) == ("message", "Anonymous", "hi")
    assert seen["bob_message"][1]["message"] == "hi"
    assert seen["info"] == {"user_info": {"id": 3, "name": "User 3", "status": "online"}}


@pytest.mark.parametrize("transports", list(TRANSPORTS))
def test_async_game_namespace(server, transports):
    async def scenario():
        events = ("game_created", "player_joined", "game_started", "game_update")
        host, guest = Recorder("/game", events), Recorder("/game", events)
        for peer in (host, guest):
            await peer.connect(server.url, TRANSPORTS[transports])
        await host.sio.emit("create_game", {"game_id": "g"}, namespace="/game")
        seen = [await host.next()]
        await guest.sio.emit("join_game", {"game_id": "g"}, namespace="/game")
        seen += [await host.next(), await host.next(), await host.next()]
        guest_sid = guest.sio.get_sid("/game")
        for peer in (host, guest):
            await peer.sio.disconnect()
        return seen, guest_sid

    seen, guest_sid = asyncio.run(scenario())
    assert seen == [
        ("game_created", {"game_id": "g"}),
        ("player_joined", {"sid": guest_sid}),
        ("game_started",),
        ("game_update", {"status": "running"}),  # from the task asyncio.create_task started
    ]
