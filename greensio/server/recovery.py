"""The server's side of connection state recovery and of volatile emits.

``ServerRecovery`` holds the store (``greensio.protocol.socketio.recovery``) and is what the
server and its event side call: ``stamp`` an emit (the offset appended, the emit logged),
``capture`` a session whose transport was lost (before its disconnect handler runs, which may
empty it) and ``keep`` it once that handler is done (a client reconnecting sooner gets a fresh
session: its old sid must not be left by the old connection's clean-up after it came back),
``restore`` on a CONNECT that asks for it.

``volatile`` (``greensio.managers.delivery``'s, imported here) is a context variable the server
sets around ``manager.emit``: a message-queue manager carries it to the other nodes,
``LocalDelivery.encode_event`` reads it and marks the broadcast volatile, and ``deliver`` then
drops it for a client whose transport cannot take it now (``EngineSocket.can_take_now``).

The store is the manager's when it has one (``Manager.recovery_store``: Redis for the Redis
managers, so that a session lost on one node is recovered on any), else this node's memory.
"""

from __future__ import annotations

from typing import Any

from greensio.managers.base import Manager
from greensio.managers.delivery import volatile as volatile  # (re-exported)
from greensio.protocol.socketio.recovery import (
    RECOVERABLE_REASONS,
    KeptSession,
    MemoryRecoveryStore,
    RecoveredSession,
    RecoveryOptions,
    RecoveryStore,
    recovery_request,
)
from greensio.protocol.socketio.session import ServerSession

#: The environ key a connect handler reads: True when this CONNECT recovered its session.
RECOVERED_KEY = "greensio.recovered"


class ServerRecovery:
    """Connection state recovery of one server (``options`` on); see the module docstring."""

    def __init__(
        self,
        options: RecoveryOptions,
        manager: Manager,
        monotonic: Any,
        generate_id: Any,
        store: RecoveryStore | None = None,
    ) -> None:
        self.options = options
        self.manager = manager
        self.monotonic = monotonic
        self.generate_id = generate_id
        if store is None:
            store = manager.recovery_store(options)
        self.store: RecoveryStore = store or MemoryRecoveryStore(options, generate_id())

    @classmethod
    def from_option(
        cls, value: Any, manager: Manager, monotonic: Any, generate_id: Any
    ) -> ServerRecovery | None:
        """The server's recovery for its ``connection_state_recovery=``; None when off."""
        options = RecoveryOptions.from_option(value)
        return None if options is None else cls(options, manager, monotonic, generate_id)

    def stamp(
        self, event: str, args: list[Any], namespace: str, room: Any, skip: Any, excepted: Any
    ) -> list[Any]:
        """``args`` with the emit's offset appended, the emit logged."""
        offset = self.store.record(
            self.monotonic(), namespace, [event, *args], room, skip, excepted
        )
        return [*args, offset]

    def capture(
        self,
        session: ServerSession,
        user_sessions: dict[str, Any],
        namespace: str,
        sid: str,
        reason: str,
    ) -> KeptSession | None:
        """What to keep of ``sid`` on ``namespace``, lost for ``reason``; None when that reason
        does not keep sessions (a client's or the server's disconnect) or it never connected."""
        pid = session.pids.get(namespace)
        if reason not in RECOVERABLE_REASONS or pid is None:
            return None
        if not session.is_connected(namespace):
            return None
        rooms = self.manager.get_rooms(sid, namespace)
        return KeptSession(pid, sid, namespace, rooms, user_sessions.get(namespace))

    def keep(self, kept: KeptSession) -> None:
        self.store.keep(kept, self.monotonic())

    def restore(self, namespace: str, auth: Any) -> RecoveredSession | None:
        """The session a CONNECT's auth asks back, if it can be recovered."""
        asked = recovery_request(auth)
        if asked is None:
            return None
        return self.store.restore(namespace, asked[0], asked[1], self.monotonic())

    def rejoin(self, recovered: RecoveredSession, eio_sid: str, namespace: str) -> None:
        """Put a recovered sid back in its rooms (its own room the manager's ``connect`` did)."""
        for room in recovered.rooms:
            if room != recovered.sid:
                self.manager.enter_room(recovered.sid, namespace, room, eio_sid)
