"""python-socketio's asyncio names for the message-queue managers: ``AsyncRedisManager``,
``AsyncAioPikaManager`` and ``AsyncRedisStreamsManager``.

Any ``PubSubManager`` (``RedisManager``, ``KombuManager``, ``RedisStreamsManager``) serves an
``AsyncServer`` as it is (``greensio.managers.loop_bridge``): these subclasses add only the
asyncio shape of a ``write_only`` emitter, as python-socketio's: ``await mgr.emit(...)``,
``await mgr.enter_room(...)``, ``leave_room``, ``close_room``, ``disconnect``, and
``await mgr.call(...)``. Their ``emit`` and room methods act at once (publishing never waits on
the broker) and return an awaitable, so that ``AsyncServer``, which calls them without
``await``, and an emitter that awaits them are both served.

``AsyncAioPikaManager`` runs over kombu (py-amqp), not aio_pika: it is ``KombuManager``, whose
AMQP exchange and messages python-socketio's ``AsyncAioPikaManager`` and ``KombuManager`` share,
so one RabbitMQ channel serves all of them, and no second AMQP client library is needed.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from greensio.exceptions import UsageError
from greensio.handlers import args_of
from greensio.managers.kombu_manager import KombuManager
from greensio.managers.loop_bridge import bridged
from greensio.managers.redis_manager import RedisManager
from greensio.managers.redis_streams_manager import RedisStreamsManager


class Done:
    """An awaitable of what was already done."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # a generator: ``await`` returns None at once


DONE = Done()


class AsyncPubSubMixin:
    """The asyncio emitter's coroutines over a ``PubSubManager`` (see the module docstring)."""

    write_only: bool
    reply_channel: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.write_only:
            bridged(self)

    def emit(self, *args: Any, **kwargs: Any) -> Any:
        """``PubSubManager.emit``; awaitable. A write-only emit with a callback first waits
        (off the loop) for the reply channel's subscription."""
        if self.write_only and kwargs.get("callback") is not None:
            listener = getattr(self, "listener", None)
            if listener is None or not listener.subscribed.is_set():
                return self._emit_subscribed(args, kwargs)
        super().emit(*args, **kwargs)  # type: ignore[misc]
        return DONE

    async def _emit_subscribed(self, args: Any, kwargs: Any) -> None:
        import asyncio

        self._start()  # type: ignore[attr-defined]
        listener = self._listen_on(self.reply_channel)  # type: ignore[attr-defined]
        await asyncio.get_running_loop().run_in_executor(None, listener.subscribed.wait, 10.0)
        super().emit(*args, **kwargs)  # type: ignore[misc]

    def enter_room(self, *args: Any, **kwargs: Any) -> Any:
        super().enter_room(*args, **kwargs)  # type: ignore[misc]
        return DONE

    def leave_room(self, *args: Any, **kwargs: Any) -> Any:
        super().leave_room(*args, **kwargs)  # type: ignore[misc]
        return DONE

    def close_room(self, *args: Any, **kwargs: Any) -> Any:
        super().close_room(*args, **kwargs)  # type: ignore[misc]
        return DONE

    def disconnect(self, *args: Any, **kwargs: Any) -> Any:
        super().disconnect(*args, **kwargs)  # type: ignore[misc]
        return DONE

    async def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float = 60,
    ) -> Any:
        """Emit to one sid of the cluster and await its ack: None, the value, or a tuple.

        Raises:
            TimeoutError: no ack within ``timeout`` seconds.
        """
        target = sid if sid is not None else to
        if not isinstance(target, str):
            raise UsageError("call() needs to= (or sid=) one sid")
        bridge = bridged(self)
        return await bridge.call_remote(event, args_of(data), target, namespace or "/", timeout)


class AsyncRedisManager(AsyncPubSubMixin, RedisManager):
    """``RedisManager`` with python-socketio's asyncio emitter API (``await mgr.emit(...)``)."""


class AsyncRedisStreamsManager(AsyncPubSubMixin, RedisStreamsManager):
    """``RedisStreamsManager`` with the asyncio emitter API."""


class AsyncAioPikaManager(AsyncPubSubMixin, KombuManager):
    """python-socketio's ``AsyncAioPikaManager``: ``KombuManager`` over AMQP (kombu, not
    aio_pika: see the module docstring), with the asyncio emitter API."""
