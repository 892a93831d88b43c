"""Typed hooks the server and manager call at the points an observer (the admin UI,
``greensio.server.async_admin``) needs: a socket connected or left, joined or left a room, an
event received or sent (once per recipient).

With no observer registered, ``Observers.active`` is False and each hook point costs one check.
"""

from __future__ import annotations

from typing import Any, Protocol

from greensio.protocol.rooms import Room


class Observer(Protocol):
    """What an observer implements; every method is called in the task that caused it and
    must not block (queue what it sends)."""

    def socket_connected(self, sid: str, namespace: str) -> None: ...
    def socket_disconnected(self, sid: str, namespace: str, reason: str) -> None: ...
    def room_joined(self, sid: str, namespace: str, room: Room) -> None: ...
    def room_left(self, sid: str, namespace: str, room: Room) -> None: ...
    def event_received(self, sid: str, namespace: str, event: str, args: list[Any]) -> None: ...
    def event_sent(self, sid: str, namespace: str, event: str, args: list[Any]) -> None: ...


class Observers:
    """The observers of one server; the hook points check ``active`` first."""

    __slots__ = ("observers", "active")

    def __init__(self) -> None:
        self.observers: list[Observer] = []
        self.active = False

    def add(self, observer: Observer) -> None:
        self.observers.append(observer)
        self.active = True

    def remove(self, observer: Observer) -> None:
        self.observers = [o for o in self.observers if o is not observer]
        self.active = bool(self.observers)

    def connected(self, sid: str, namespace: str) -> None:
        for o in self.observers:
            o.socket_connected(sid, namespace)

    def disconnected(self, sid: str, namespace: str, reason: str) -> None:
        for o in self.observers:
            o.socket_disconnected(sid, namespace, reason)

    def joined(self, sid: str, namespace: str, room: Room) -> None:
        for o in self.observers:
            o.room_joined(sid, namespace, room)

    def left(self, sid: str, namespace: str, room: Room) -> None:
        for o in self.observers:
            o.room_left(sid, namespace, room)

    def received(self, sid: str, namespace: str, event: str, args: list[Any]) -> None:
        for o in self.observers:
            o.event_received(sid, namespace, event, args)

    def sent(self, sid: str, namespace: str, event: str, args: list[Any]) -> None:
        for o in self.observers:
            o.event_sent(sid, namespace, event, args)
