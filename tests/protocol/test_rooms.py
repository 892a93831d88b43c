"""The room registry: membership per namespace, the all-clients room, each sid's own room."""

from __future__ import annotations

import pytest

from greensio.protocol.rooms import RoomRegistry

pytestmark = pytest.mark.timeout(60)


def registry() -> RoomRegistry:
    rooms = RoomRegistry()
    rooms.connect("/", "a", "eio-a")
    rooms.connect("/", "b", "eio-b")
    rooms.connect("/chat", "c", "eio-a")
    return rooms


def test_empty_registry() -> None:
    rooms = RoomRegistry()
    assert rooms.namespaces() == []
    assert not rooms.is_connected("/", "a")
    assert rooms.eio_sid("/", "a") is None
    assert rooms.rooms_of("/", "a") == []
    assert list(rooms.participants("/", None)) == []


def test_connect_puts_sid_in_everyone_and_its_own_room() -> None:
    rooms = registry()
    assert rooms.is_connected("/", "a")
    assert not rooms.is_connected("/chat", "a")
    assert rooms.eio_sid("/", "b") == "eio-b"
    assert rooms.eio_sid("/chat", "c") == "eio-a"
    assert rooms.rooms_of("/", "a") == ["a"]  # the all-clients room (None) is not listed
    assert sorted(rooms.participants("/", None)) == [("a", "eio-a"), ("b", "eio-b")]
    # "to a sid" is "to the room named after it"
    assert list(rooms.participants("/", ["b"])) == [("b", "eio-b")]
    assert sorted(rooms.namespaces()) == ["/", "/chat"]


def test_enter_and_leave() -> None:
    rooms = registry()
    rooms.enter("/", "lobby", "a", "eio-a")
    rooms.enter("/", "lobby", "b", "eio-b")
    rooms.enter("/", ("tuple", 1), "a", "eio-a")  # any hashable names a room
    assert sorted(rooms.participants("/", ["lobby"])) == [("a", "eio-a"), ("b", "eio-b")]
    assert sorted(rooms.rooms_of("/", "a"), key=str) == sorted(
        ["a", "lobby", ("tuple", 1)], key=str
    )
    rooms.enter("/", "lobby", "a", "eio-a")  # entering twice is one membership
    rooms.leave("/", "lobby", "a")
    assert list(rooms.participants("/", ["lobby"])) == [("b", "eio-b")]
    assert "lobby" not in rooms.rooms_of("/", "a")
    rooms.leave("/", "lobby", "b")
    assert list(rooms.participants("/", ["lobby"])) == []


def test_leave_what_was_never_entered_is_harmless() -> None:
    rooms = registry()
    rooms.leave("/", "nowhere", "a")
    rooms.leave("/", "a", "zz")  # a stranger leaving a's room
    rooms.leave("/nope", "x", "a")
    rooms.leave("/", "b", "a")  # a is not in b's room
    assert rooms.is_connected("/", "a")
    assert list(rooms.participants("/", ["b"])) == [("b", "eio-b")]
    assert rooms.namespaces() == ["/", "/chat"]


def test_disconnect_leaves_every_room() -> None:
    rooms = registry()
    rooms.enter("/", "lobby", "a", "eio-a")
    rooms.disconnect("/", "a")
    assert not rooms.is_connected("/", "a")
    assert rooms.eio_sid("/", "a") is None
    assert rooms.rooms_of("/", "a") == []
    assert list(rooms.participants("/", ["lobby", "a"])) == []
    assert list(rooms.participants("/", None)) == [("b", "eio-b")]
    # the same sid in another namespace is untouched
    rooms.enter("/chat", "lobby", "a", "eio-a")
    rooms.disconnect("/", "b")
    assert list(rooms.participants("/chat", ["lobby"])) == [("a", "eio-a")]
    rooms.disconnect("/", "never-connected")


def test_emptied_namespace_is_forgotten() -> None:
    rooms = registry()
    rooms.disconnect("/chat", "c")
    assert rooms.namespaces() == ["/"]
    for i in range(100):  # one client cycling through namespace names leaves nothing behind
        rooms.connect(f"/n{i}", "x", "eio-x")
        rooms.disconnect(f"/n{i}", "x")
    assert rooms.namespaces() == ["/"]


def test_close_room() -> None:
    rooms = registry()
    rooms.enter("/", "lobby", "a", "eio-a")
    rooms.enter("/", "lobby", "b", "eio-b")
    rooms.close_room("/", "lobby")
    assert list(rooms.participants("/", ["lobby"])) == []
    assert rooms.rooms_of("/", "a") == ["a"]
    assert rooms.is_connected("/", "b")
    rooms.close_room("/", "no-such-room")
    rooms.close_room("/nope", "lobby")


def test_participants_once_each_with_skip() -> None:
    rooms = registry()
    rooms.connect("/", "c", "eio-c")
    rooms.enter("/", "r1", "a", "eio-a")
    rooms.enter("/", "r1", "b", "eio-b")
    rooms.enter("/", "r2", "b", "eio-b")
    rooms.enter("/", "r2", "c", "eio-c")
    assert sorted(rooms.participants("/", ["r1", "r2", "a"])) == [
        ("a", "eio-a"),
        ("b", "eio-b"),
        ("c", "eio-c"),
    ]
    assert sorted(rooms.participants("/", ["r1", "r2"], skip=["b"])) == [
        ("a", "eio-a"),
        ("c", "eio-c"),
    ]
    assert sorted(rooms.participants("/", None, skip=iter(["a", "c"]))) == [("b", "eio-b")]
    assert list(rooms.participants("/", [])) == []
    assert list(rooms.participants("/", ["missing"])) == []
    assert list(rooms.participants("/missing", None)) == []


def test_participants_tolerates_leaving_while_iterating() -> None:
    # An emit whose delivery disconnects a recipient must not break the fan-out.
    rooms = registry()
    seen = []
    for sid, _eio_sid in rooms.participants("/", None):
        seen.append(sid)
        rooms.disconnect("/", sid)
    assert sorted(seen) == ["a", "b"]
    assert list(rooms.participants("/", None)) == []


def test_a_leaving_sid_is_not_connected_but_keeps_its_rooms() -> None:
    rooms = registry()
    rooms.enter("/", "room", "a", "eio-a")
    assert rooms.begin_leave("/", "a")
    assert not rooms.is_connected("/", "a")
    assert not rooms.begin_leave("/", "a")  # once: its disconnect handler runs once
    assert sorted(rooms.rooms_of("/", "a"), key=str) == ["a", "room"]
    assert rooms.eio_sid("/", "a") == "eio-a"
    rooms.disconnect("/", "a")
    assert rooms.rooms_of("/", "a") == []
    rooms.connect("/", "a", "eio-a2")  # the same sid again is connected afresh
    assert rooms.is_connected("/", "a")


def test_only_a_connected_sid_can_begin_to_leave() -> None:
    rooms = registry()
    assert not rooms.begin_leave("/", "nobody")
    assert not rooms.begin_leave("/chat", "a")


def test_participants_except_rooms_and_skipped_sids() -> None:
    rooms = registry()
    rooms.connect("/", "d", "eio-d")
    rooms.enter("/", "lobby", "a", "eio-a")
    rooms.enter("/", "lobby", "b", "eio-b")
    rooms.enter("/", "muted", "b", "eio-b")
    everyone_but = rooms.participants("/", None, except_rooms=["muted", "gone"])
    assert sorted(everyone_but) == [("a", "eio-a"), ("d", "eio-d")]
    lobby = rooms.participants("/", ["lobby", "d"], skip=["a"], except_rooms=["muted"])
    assert list(lobby) == [("d", "eio-d")]
