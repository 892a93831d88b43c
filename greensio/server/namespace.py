"""Class-based namespaces: ``greensio.Namespace`` (python-socketio's, as the seed documents it).

A subclass's ``on_<event>`` methods are its handlers; every other method forwards to the server
with this namespace as the default.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from greensio.exceptions import UsageError
from greensio.handlers import NamespaceBase

if TYPE_CHECKING:
    from greensio.server.server import Server


class Namespace(NamespaceBase):
    """Base class for server-side class-based namespaces.

    Attributes:
        namespace: the namespace path ('/' by default).
        server: the ``Server`` it is registered with (set by ``register_namespace``).
    """

    def __init__(self, namespace: str | None = None) -> None:
        super().__init__(namespace)
        self.server: Server | None = None

    def _attach(self, server: Server) -> None:
        self.server = server

    def _srv(self) -> Server:
        if self.server is None:
            raise UsageError("register the namespace with Server.register_namespace() first")
        return self.server

    # --- forwarding to the server, with this namespace by default --------------------------------
    def emit(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Any = None,
        **kwargs: Any,
    ) -> None:
        """Emit to clients (see ``Server.emit``)."""
        self._srv().emit(
            event,
            data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace or self.namespace,
            callback=callback,
            **kwargs,
        )

    def send(
        self,
        data: Any,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Any = None,
        **kwargs: Any,
    ) -> None:
        """Send a ``message`` event (see ``Server.send``)."""
        self._srv().send(
            data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace or self.namespace,
            callback=callback,
            **kwargs,
        )

    def call(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float = 60,
        **kwargs: Any,
    ) -> Any:
        """Emit and block until the client's ack (see ``Server.call``)."""
        return self._srv().call(
            event,
            data,
            to=to,
            sid=sid,
            namespace=namespace or self.namespace,
            timeout=timeout,
            **kwargs,
        )

    def enter_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        self._srv().enter_room(sid, room, namespace=namespace or self.namespace)

    def leave_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        self._srv().leave_room(sid, room, namespace=namespace or self.namespace)

    def close_room(self, room: Any, namespace: str | None = None) -> None:
        self._srv().close_room(room, namespace=namespace or self.namespace)

    def rooms(self, sid: str, namespace: str | None = None) -> list[Any]:
        return self._srv().rooms(sid, namespace=namespace or self.namespace)

    def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        return self._srv().get_session(sid, namespace=namespace or self.namespace)

    def save_session(self, sid: str, session: dict[str, Any], namespace: str | None = None) -> None:
        self._srv().save_session(sid, session, namespace=namespace or self.namespace)

    def session(
        self, sid: str, namespace: str | None = None
    ) -> AbstractContextManager[dict[str, Any]]:
        """``with self.session(sid) as session:`` — changes are saved on exit."""
        return self._srv().session(sid, namespace=namespace or self.namespace)

    def disconnect(self, sid: str, namespace: str | None = None) -> None:
        self._srv().disconnect(sid, namespace=namespace or self.namespace)


__all__ = ["Namespace"]
