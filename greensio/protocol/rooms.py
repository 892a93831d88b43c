"""The one room registry every manager uses (DESIGN.md: "Rooms in one place").

Per namespace: room -> {sid: eio_sid}. The room ``None`` holds every connected sid, and each sid is
also alone in a room named after itself, so "to a sid" and "to a room" are the same lookup.

A sid is *connected* from ``connect`` until ``begin_leave`` (its disconnect handler is about to
run), and keeps its rooms until ``disconnect``, so that handler can still read them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator

Room = Hashable


class RoomRegistry:
    def __init__(self) -> None:
        self._rooms: dict[str, dict[Room, dict[str, str]]] = {}
        self._rooms_of: dict[tuple[str, str], set[Room]] = {}
        self._leaving: set[tuple[str, str]] = set()

    def connect(self, namespace: str, sid: str, eio_sid: str) -> None:
        self.enter(namespace, None, sid, eio_sid)
        self.enter(namespace, sid, sid, eio_sid)

    def begin_leave(self, namespace: str, sid: str) -> bool:
        """Mark ``sid`` leaving: no longer connected, its rooms kept until ``disconnect``.
        True only for a connected sid (once: the caller then runs its disconnect handler)."""
        if not self.is_connected(namespace, sid):
            return False
        self._leaving.add((namespace, sid))
        return True

    def disconnect(self, namespace: str, sid: str) -> None:
        """Take ``sid`` out of every room of ``namespace``."""
        self._leaving.discard((namespace, sid))
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.leave(namespace, room, sid)

    def is_connected(self, namespace: str, sid: str) -> bool:
        return (
            sid in self._rooms.get(namespace, {}).get(None, {})
            and (namespace, sid) not in self._leaving
        )

    def eio_sid(self, namespace: str, sid: str) -> str | None:
        return self._rooms.get(namespace, {}).get(None, {}).get(sid)

    def enter(self, namespace: str, room: Room, sid: str, eio_sid: str) -> None:
        self._rooms.setdefault(namespace, {}).setdefault(room, {})[sid] = eio_sid
        self._rooms_of.setdefault((namespace, sid), set()).add(room)

    def leave(self, namespace: str, room: Room, sid: str) -> None:
        rooms = self._rooms.get(namespace, {})
        members = rooms.get(room)
        if members is not None:
            members.pop(sid, None)
            if not members:
                del rooms[room]
                if not rooms:
                    # Forget the emptied namespace, or one client cycling through namespace names
                    # (namespaces="*") grows this dict without bound.
                    del self._rooms[namespace]
        mine = self._rooms_of.get((namespace, sid))
        if mine is not None:
            mine.discard(room)
            if not mine:
                del self._rooms_of[(namespace, sid)]

    def close_room(self, namespace: str, room: Room) -> None:
        for sid in list(self._rooms.get(namespace, {}).get(room, ())):
            self.leave(namespace, room, sid)

    def rooms_of(self, namespace: str, sid: str) -> list[Room]:
        """The rooms ``sid`` is in (its own room included, the all-clients room not)."""
        return [r for r in self._rooms_of.get((namespace, sid), ()) if r is not None]

    def participants(
        self,
        namespace: str,
        rooms: Iterable[Room] | None,
        skip: Iterable[str] = (),
        except_rooms: Iterable[Room] = (),
    ) -> Iterator[tuple[str, str]]:
        """(sid, eio_sid) of everyone in any of ``rooms`` (everyone when None), each once, but
        the sids in ``skip`` and the members of ``except_rooms``."""
        by_room = self._rooms.get(namespace)
        if not by_room:
            return
        skip = set(skip)
        for room in except_rooms:
            skip.update(by_room.get(room, ()))
        if rooms is None:
            rooms = [None]
        seen: set[str] = set()
        for room in rooms:
            for sid, eio_sid in list(by_room.get(room, {}).items()):
                if sid not in seen and sid not in skip:
                    seen.add(sid)
                    yield sid, eio_sid

    def namespaces(self) -> list[str]:
        return list(self._rooms)
