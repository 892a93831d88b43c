"""The in-memory manager: membership, leaving, and fan-out through the Delivery it is handed."""

from __future__ import annotations

from typing import Any

import pytest

from greensio.exceptions import UsageError
from greensio.managers.base import Manager
from greensio.protocol.socketio.packets import Codec, encode_event
from greensio.transports.frames import PreparedMessages

pytestmark = pytest.mark.timeout(10)


class RecordingDelivery:
    """A ``Delivery`` that records what the manager asks of it."""

    def __init__(self) -> None:
        self.codec = Codec()
        self.encoded: list[PreparedMessages] = []
        self.delivered: list[tuple[str, str, PreparedMessages]] = []
        self.with_ack: list[tuple[Any, ...]] = []

    def encode_event(self, namespace: str, event: str, args: list[Any]) -> PreparedMessages:
        prepared = PreparedMessages(encode_event(self.codec, namespace, event, args))
        self.encoded.append(prepared)
        return prepared

    def deliver(self, eio_sid: str, namespace: str, prepared: PreparedMessages) -> None:
        self.delivered.append((eio_sid, namespace, prepared))

    def deliver_with_ack(
        self,
        eio_sid: str,
        namespace: str,
        event: str,
        args: list[Any],
        callback: Any,
        timeout: float | None = None,
    ) -> None:
        self.with_ack.append((eio_sid, namespace, event, args, callback, timeout))


@pytest.fixture
def delivery() -> RecordingDelivery:
    return RecordingDelivery()


@pytest.fixture
def manager(delivery: RecordingDelivery) -> Manager:
    manager = Manager()
    manager.set_server(delivery)
    assert manager.connect("eio-a", "/", "a") == "a"
    manager.connect("eio-b", "/", "b")
    manager.connect("eio-c", "/", "c")
    manager.connect("eio-a", "/chat", "a2")
    return manager


def test_a_broadcast_is_encoded_once_for_every_recipient(manager, delivery) -> None:
    manager.emit("news", [1], "/")
    [prepared] = delivery.encoded
    assert prepared.messages == ['2["news",1]']
    assert sorted(eio for eio, _, _ in delivery.delivered) == ["eio-a", "eio-b", "eio-c"]
    assert all(ns == "/" and p is prepared for _, ns, p in delivery.delivered)


def test_emit_to_rooms_skipping_sids(manager, delivery) -> None:
    manager.enter_room("b", "/", "room")
    manager.enter_room("c", "/", "room")
    manager.emit("news", [], "/", room=["room", "a"], skip_sid="c")
    assert sorted(eio for eio, _, _ in delivery.delivered) == ["eio-a", "eio-b"]
    delivery.delivered.clear()
    manager.emit("news", [], "/", room="room", skip_sid=["b", "c"])
    assert delivery.delivered == []


def test_emit_except_rooms_leaves_their_members_out(manager, delivery) -> None:
    manager.enter_room("a", "/", "lobby")
    manager.enter_room("b", "/", "lobby")
    manager.enter_room("b", "/", "muted")
    manager.enter_room("c", "/", "banned")
    manager.emit("news", [], "/", room="lobby", except_rooms="muted")
    assert [eio for eio, _, _ in delivery.delivered] == ["eio-a"]
    delivery.delivered.clear()
    manager.emit("news", [], "/", except_rooms=["muted", "banned"], ignore_queue=True)
    assert [eio for eio, _, _ in delivery.delivered] == ["eio-a"]
    delivery.delivered.clear()
    manager.emit("news", [], "/", except_rooms="nobody here")
    assert sorted(eio for eio, _, _ in delivery.delivered) == ["eio-a", "eio-b", "eio-c"]
    targets = manager.get_targets("/", "lobby", except_rooms=["a"])
    assert list(targets) == [("b", "eio-b")]


def test_emit_with_a_callback_asks_each_recipient_for_an_ack(manager, delivery) -> None:
    def callback(*args: Any) -> None: ...

    manager.emit("q", ["x"], "/chat", callback=callback, timeout=2.0)
    assert delivery.encoded == []
    assert delivery.with_ack == [("eio-a", "/chat", "q", ["x"], callback, 2.0)]


def test_emit_needs_a_server() -> None:
    with pytest.raises(UsageError):
        Manager().emit("news", [], "/")


def test_a_leaving_sid_keeps_its_rooms_until_disconnect(manager) -> None:
    manager.enter_room("a", "/", "room")
    assert manager.is_connected("a", "/") and manager.can_disconnect("a", "/")
    assert manager.pre_disconnect("a", "/")
    assert not manager.pre_disconnect("a", "/")  # its disconnect handler runs once
    assert not manager.is_connected("a", "/") and not manager.can_disconnect("a", "/")
    assert sorted(manager.get_rooms("a", "/")) == ["a", "room"]
    assert manager.eio_sid_from_sid("a", "/") == "eio-a"
    manager.disconnect("a", "/")
    assert manager.get_rooms("a", "/") == []
    assert manager.eio_sid_from_sid("a", "/") is None


def test_rooms(manager) -> None:
    manager.enter_room("b", "/", "room")
    manager.enter_room("c", "/", "room", eio_sid="eio-c")
    manager.enter_room("nobody", "/", "room")  # not connected: ignored
    assert sorted(manager.get_participants("/", "room")) == [("b", "eio-b"), ("c", "eio-c")]
    manager.leave_room("b", "/", "room")
    assert manager.get_participants("/", "room") == [("c", "eio-c")]
    manager.close_room("room", "/")
    assert manager.get_participants("/", "room") == []
    assert sorted(manager.get_namespaces()) == ["/", "/chat"]
    assert list(manager.get_targets("/chat", None)) == [("a2", "eio-a")]
