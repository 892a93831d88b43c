"""Middlewares and catch-all listeners: ``sio.use``, ``sio.on_any``, ``sio.on_any_outgoing``.

These are Node's ``io.use``, ``socket.onAny`` and ``socket.onAnyOutgoing`` (python-socketio has
none of them), registered per namespace on the server rather than per socket:

- a middleware ``fn(sid, environ, auth)`` runs before the connect handler, in registration order;
  raising ``ConnectionRefusedError`` (or anything else) refuses the connection;
- an incoming listener ``fn(event, sid, *args)`` runs for every event a client sends, handled or
  not, just before its handler, in the same task;
- an outgoing listener ``fn(event, sid, *args)`` runs once per recipient of every event the server
  sends, in the sending task, after the packet is queued for that recipient.

A listener that raises is logged with its traceback; the event goes on regardless. On
``AsyncServer`` a listener may be a coroutine function: it then runs as a task of its own.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

from greensio.exceptions import UsageError
from greensio.handlers import Handler
from greensio.server.observers import Observers


class Listeners:
    """The three per-namespace lists; ``ServerEvents`` and ``LocalDelivery`` read them."""

    __slots__ = ("middlewares", "incoming", "outgoing", "logger", "observers")

    def __init__(self, logger: logging.Logger) -> None:
        self.middlewares: dict[str, list[Handler]] = {}
        self.incoming: dict[str, list[Handler]] = {}
        #: Read once per emit: a namespace without outgoing listeners is not in it at all.
        self.outgoing: dict[str, list[Handler]] = {}
        self.logger = logger
        #: The typed hooks of ``greensio.server.observers`` (the admin UI's).
        self.observers = Observers()

    def incoming_for(self, namespace: str) -> list[Handler] | None:
        """The incoming listeners of ``namespace``, the observers' hook among them."""
        found = self.incoming.get(namespace)
        if not self.observers.active:
            return found
        return [*(found or ()), _Forward(self.observers.received, namespace)]

    def outgoing_for(self, namespace: str) -> list[Handler] | None:
        """The outgoing listeners of ``namespace``, the observers' hook among them."""
        found = self.outgoing.get(namespace)
        if not self.observers.active:
            return found
        return [*(found or ()), _Forward(self.observers.sent, namespace)]

    @staticmethod
    def add(table: dict[str, list[Handler]], fn: Handler, namespace: str) -> None:
        table.setdefault(namespace, []).append(fn)

    @staticmethod
    def remove(table: dict[str, list[Handler]], fn: Handler | None, namespace: str) -> None:
        """Take ``fn`` (every registration of it; all listeners when None) off ``namespace``."""
        kept = [] if fn is None else [f for f in table.get(namespace, ()) if f != fn]
        if kept:
            table[namespace] = kept
        else:
            table.pop(namespace, None)

    def notify(self, listeners: list[Handler], event: str, sid: str, args: list[Any]) -> None:
        """Call each of ``listeners`` as ``fn(event, sid, *args)``; log what one raises."""
        for fn in listeners:
            try:
                result = fn(event, sid, *args)
                if inspect.iscoroutine(result):
                    self._start(result, fn)
            except Exception:
                self.logger.exception("listener %s for %r failed", _name(fn), event)

    def _start(self, coroutine: Any, fn: Handler) -> None:
        """Run a coroutine listener's call as a task; without a running loop (a greenlet
        server), it cannot run, and that is an error that names the fix."""
        try:
            asyncio.get_running_loop().create_task(coroutine)
        except RuntimeError:
            coroutine.close()
            self.logger.error(
                "listener %s is a coroutine function: use it with AsyncServer, or make it a plain "
                "function for Server",
                _name(fn),
            )


class _Forward:
    """A listener ``fn(event, sid, *args)`` calling an observers' hook with its namespace."""

    __slots__ = ("hook", "namespace", "__qualname__")

    def __init__(self, hook: Any, namespace: str) -> None:
        self.hook = hook
        self.namespace = namespace
        self.__qualname__ = getattr(hook, "__qualname__", "observer")

    def __call__(self, event: str, sid: str, *args: Any) -> None:
        self.hook(sid, self.namespace, event, list(args))


def _name(fn: Handler) -> str:
    return str(getattr(fn, "__qualname__", fn))


class ListenerRegistration:
    """``use``, ``on_any``, ``on_any_outgoing`` and their removals, for ``Server`` and
    ``AsyncServer`` (where each may be a coroutine function)."""

    listeners: Listeners
    awaits_handlers = False

    def _add(self, table: dict[str, list[Handler]], fn: Handler, namespace: str | None) -> None:
        if not self.awaits_handlers and inspect.iscoroutinefunction(fn):
            raise UsageError(
                f"{_name(fn)} is a coroutine function, which {type(self).__name__} cannot run: "
                "use AsyncServer, or make it a plain function"
            )
        self.listeners.add(table, fn, namespace or "/")

    def use(self, fn: Handler, namespace: str | None = None) -> Handler:
        """Add a connection middleware ``fn(sid, environ, auth)`` to ``namespace`` ('/').

        Middlewares run in registration order before the connect handler. One that raises
        ``greensio.exceptions.ConnectionRefusedError(message, data)`` refuses the connection:
        the client gets CONNECT_ERROR with that message and data, and neither later
        middlewares nor the connect handler run. Any other exception refuses too, and is
        logged. Returns ``fn``, so it may be used as a decorator.
        """
        self._add(self.listeners.middlewares, fn, namespace)
        return fn

    def remove_middleware(self, fn: Handler, namespace: str | None = None) -> None:
        """Remove a middleware added with ``use`` (nothing if it is not there)."""
        self.listeners.remove(self.listeners.middlewares, fn, namespace or "/")

    def on_any(self, fn: Handler, namespace: str | None = None) -> Handler:
        """Call ``fn(event, sid, *args)`` for every event received on ``namespace`` ('/'),
        handled or not, just before its handler (the ack callback is not among the args)."""
        self._add(self.listeners.incoming, fn, namespace)
        return fn

    def off_any(self, fn: Handler | None = None, namespace: str | None = None) -> None:
        """Remove an ``on_any`` listener; every one on ``namespace`` when ``fn`` is None."""
        self.listeners.remove(self.listeners.incoming, fn, namespace or "/")

    def on_any_outgoing(self, fn: Handler, namespace: str | None = None) -> Handler:
        """Call ``fn(event, sid, *args)`` once per recipient for every event sent on
        ``namespace`` ('/'): ``emit``, ``send``, ``call`` and broadcasts alike."""
        self._add(self.listeners.outgoing, fn, namespace)
        return fn

    def off_any_outgoing(self, fn: Handler | None = None, namespace: str | None = None) -> None:
        """Remove an ``on_any_outgoing`` listener; every one on ``namespace`` when None."""
        self.listeners.remove(self.listeners.outgoing, fn, namespace or "/")
