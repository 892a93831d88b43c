"""greensio.Namespace: the seed's ChatNamespace and GameNamespace, run as written, against
python-socketio's client (a foreign peer) on a real server on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from tests.support.peers import STEP, Peer
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(40 * UNIT)

CHAT_EVENTS = ("welcome", "status", "user_joined", "user_left", "message", "username_set")
GAME_EVENTS = ("game_created", "player_joined", "game_started")


@pytest.fixture(scope="module", params=[["websocket"], ["polling"]], ids=["websocket", "polling"])
def seed_server(request):
    server = python_server("tests.apps.seed_server:build").start()
    server.transports = request.param
    yield server
    server.stop()


@pytest.fixture
def peers(seed_server):
    made: list[Peer] = []

    def make(count: int, namespace: str, events: tuple[str, ...]) -> list[Peer]:
        for _ in range(count):
            peer = Peer(events, namespaces=[namespace])
            peer.connect(seed_server.url, [namespace], seed_server.transports)
            made.append(peer)
        return made[-count:]

    yield make
    for peer in made:
        peer.close()


def _quiet(peer: Peer, key: str, wait: float = 0.5 * UNIT) -> list[tuple]:
    time.sleep(wait)
    return peer.record.all(key)


def test_chat_welcome_reaches_only_the_new_client(peers):
    first, second = peers(2, "/chat", CHAT_EVENTS)

    assert first.record.wait_for("/chat:welcome") == ({"message": "Welcome to chat!"},)
    assert second.record.wait_for("/chat:welcome") == ({"message": "Welcome to chat!"},)
    assert len(_quiet(first, "/chat:welcome")) == 1


def test_chat_rooms_reach_only_their_members_and_skip_sid_is_honoured(peers):
    alice, bob, carol = peers(3, "/chat", CHAT_EVENTS)
    bob_sid = bob.sio.get_sid("/chat")

    alice.sio.emit("join_room", {"room": "r1"}, namespace="/chat")
    assert alice.record.wait_for("/chat:status") == ({"message": "Joined r1"},)
    bob.sio.emit("join_room", {"room": "r1"}, namespace="/chat")
    assert bob.record.wait_for("/chat:status") == ({"message": "Joined r1"},)

    # user_joined goes to the room but skips the joiner.
    assert alice.record.wait_for("/chat:user_joined") == ({"sid": bob_sid},)
    assert _quiet(bob, "/chat:user_joined") == []
    assert carol.record.all("/chat:user_joined") == []

    bob.sio.emit("chat_message", {"message": "in r1", "room": "r1"}, namespace="/chat")
    for member in (alice, bob):
        (message,) = member.record.wait_for("/chat:message")
        assert message["message"] == "in r1"
        assert message["username"] == "Anonymous"
        assert isinstance(message["timestamp"], float)
    assert _quiet(carol, "/chat:message") == []

    bob.sio.emit("leave_room", {"room": "r1"}, namespace="/chat")
    assert alice.record.wait_for("/chat:user_left") == ({"sid": bob_sid},)
    assert _quiet(bob, "/chat:user_left") == []


def test_chat_session_values_survive_between_events(peers):
    alice, bob = peers(2, "/chat", CHAT_EVENTS)

    alice.sio.emit("set_username", {"username": "alice"}, namespace="/chat")
    assert alice.record.wait_for("/chat:username_set") == ({"success": True},)
    alice.sio.emit("chat_message", {"message": "hi lobby"}, namespace="/chat")

    # Everyone is in the lobby; the username came from alice's session, not bob's.
    for member in (alice, bob):
        (message,) = member.record.wait_for("/chat:message")
        assert (message["username"], message["message"]) == ("alice", "hi lobby")
    bob.sio.emit("chat_message", {"message": "me too"}, namespace="/chat")
    (message,) = alice.record.wait_for("/chat:message", count=2)
    assert (message["username"], message["message"]) == ("Anonymous", "me too")


def test_game_starts_when_the_second_player_joins(peers):
    host, guest, bystander = peers(3, "/game", GAME_EVENTS)
    guest_sid = guest.sio.get_sid("/game")

    host.sio.emit("create_game", {"game_id": "g1"}, namespace="/game")
    assert host.record.wait_for("/game:game_created") == ({"game_id": "g1"},)
    guest.sio.emit("join_game", {"game_id": "g1"}, namespace="/game")

    for player in (host, guest):
        assert player.record.wait_for("/game:player_joined") == ({"sid": guest_sid},)
        assert player.record.wait_for("/game:game_started") == ()
    assert _quiet(bystander, "/game:game_started") == []
    assert bystander.record.all("/game:player_joined") == []


def test_joining_an_unknown_game_does_nothing(peers):
    (player,) = peers(1, "/game", GAME_EVENTS)

    player.sio.emit("join_game", {"game_id": "nope"}, namespace="/game")
    assert _quiet(player, "/game:player_joined", STEP / 3) == []
    assert player.sio.connected


def test_unregistered_namespace_is_refused(seed_server):
    peer = Peer(namespaces=["/nope"])
    with pytest.raises(Exception, match="(?i)namespace|connect"):
        peer.connect(seed_server.url, ["/nope"], seed_server.transports)
    peer.close()
