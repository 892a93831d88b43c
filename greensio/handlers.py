"""Where the application's handlers live and how an event finds its handler.

Lookup (python-socketio's documented catch-all rules):

1. a handler for the event in the namespace: ``handler(sid, *args)``;
2. the namespace's catch-all ``'*'`` (not for connect/disconnect): ``handler(event, sid, *args)``;
3. when the namespace has no handlers at all, the catch-all namespace ``'*'``:
   ``handler(namespace, sid, *args)``, or its ``'*'`` event:
   ``handler(event, namespace, sid, *args)``.

Class-based namespaces (``Namespace``) registered for a namespace take precedence over decorated
functions for it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Protocol

from greensio.exceptions import UsageError
from greensio.protocol.engineio.session import CloseReason

Handler = Callable[..., Any]

#: Events the library raises itself; a catch-all event handler never receives them.
LIFECYCLE_EVENTS = frozenset({"connect", "connect_error", "disconnect"})


class NamespaceHandler(Protocol):
    namespace: str

    def trigger_event(self, event: str, *args: Any) -> Any: ...


def accepts(fn: Handler, count: int) -> bool:
    """Whether ``fn`` can be called with ``count`` positional arguments."""
    try:
        low, high = _positional_range(fn)
    except TypeError:  # an unhashable callable: not cached
        low, high = _positional_range.__wrapped__(fn)
    return low <= count and (high is None or count <= high)


_VARARGS = inspect.CO_VARARGS


@functools.lru_cache(maxsize=4096)
def _positional_range(fn: Handler) -> tuple[int, int | None]:
    """(required, most or None for ``*args``) positional arguments of ``fn``, computed once per
    handler: this runs for every event, and ``inspect.signature`` costs tens of microseconds."""
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is not None and not isinstance(fn, functools.partial):
        bound = 1 if inspect.ismethod(fn) else 0
        defaults = len(getattr(getattr(fn, "__func__", fn), "__defaults__", None) or ())
        most = code.co_argcount - bound
        return most - defaults, None if code.co_flags & _VARARGS else most
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # no signature to read (some builtins): accept anything
        return 0, None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(1 for p in positional if p.default is p.empty)
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return required, None
    return required, len(positional)


def call_flexibly(fn: Handler, *args: Any) -> Any:
    """Call ``fn`` with as many of ``args`` as it takes: the connect handler's ``auth`` and the
    disconnect handler's ``reason`` are optional in python-socketio's API (down to none at all:
    a client's ``disconnect()`` handler takes no argument without its reason)."""
    count = len(args)
    while count > 0 and not accepts(fn, count):
        count -= 1
    return fn(*args[:count])


def args_of(data: Any) -> list[Any]:
    """python-socketio's rule: None is no argument, a tuple is several, anything else one."""
    if data is None:
        return []
    if isinstance(data, tuple):
        return list(data)
    return [data]


def ack_value(args: list[Any]) -> Any:
    """What ``call()`` returns: None, the one value, or a tuple of several."""
    if not args:
        return None
    return args[0] if len(args) == 1 else tuple(args)


class Reasons:
    """``sio.reason.X``: why a client disconnected (python-socketio's names and values)."""

    SERVER_DISCONNECT = CloseReason.SERVER_DISCONNECT.value
    CLIENT_DISCONNECT = CloseReason.CLIENT_DISCONNECT.value
    PING_TIMEOUT = CloseReason.PING_TIMEOUT.value
    TRANSPORT_CLOSE = CloseReason.TRANSPORT_CLOSE.value
    TRANSPORT_ERROR = CloseReason.TRANSPORT_ERROR.value


class HandlerRegistry:
    def __init__(self) -> None:
        self.functions: dict[str, dict[str, Handler]] = {}
        self.classes: dict[str, NamespaceHandler] = {}

    def on(self, event: str, handler: Handler, namespace: str) -> None:
        self.functions.setdefault(namespace, {})[event] = handler

    def register_namespace(self, handler: NamespaceHandler) -> None:
        self.classes[handler.namespace] = handler

    def has_namespace(self, namespace: str) -> bool:
        return namespace in self.functions or namespace in self.classes

    def accepts_any_namespace(self) -> bool:
        return "*" in self.functions or "*" in self.classes

    def find(self, event: str, namespace: str) -> tuple[Handler, tuple[Any, ...]] | None:
        """The handler for ``event`` on ``namespace`` and the arguments to put before sid's."""
        cls = self.classes.get(namespace)
        if cls is not None:
            return _bound_trigger(cls, event), ()
        found = self._find_function(event, namespace, self.functions.get(namespace))
        if found is not None:
            return found
        if namespace in self.functions:
            return None
        cls = self.classes.get("*")
        if cls is not None:
            return _bound_trigger(cls, event), (namespace,)
        handlers = self.functions.get("*")
        if handlers is None:
            return None
        if event in handlers:
            return handlers[event], (namespace,)
        if event not in LIFECYCLE_EVENTS and "*" in handlers:
            return handlers["*"], (event, namespace)
        return None

    @staticmethod
    def _find_function(
        event: str, namespace: str, handlers: dict[str, Handler] | None
    ) -> tuple[Handler, tuple[Any, ...]] | None:
        if not handlers:
            return None
        if event in handlers:
            return handlers[event], ()
        if event not in LIFECYCLE_EVENTS and "*" in handlers:
            return handlers["*"], (event,)
        return None


def _bound_trigger(cls: NamespaceHandler, event: str) -> Handler:
    def trigger(*args: Any) -> Any:
        return cls.trigger_event(event, *args)

    return trigger


class HandlerRegistration:
    """``on``, ``event`` and ``register_namespace``, shared by the servers and the clients."""

    registry: HandlerRegistry
    #: Whether handlers may be coroutine functions (the asyncio front-ends); the greenlet ones
    #: refuse them, which would otherwise never run.
    awaits_handlers = False

    def _check_handler(self, fn: Any, what: str) -> None:
        if not self.awaits_handlers and inspect.iscoroutinefunction(fn):
            name = type(self).__name__
            raise UsageError(
                f"{what} is a coroutine function, which {name} cannot run: use the asyncio "
                f"class (Async{name}), or make it a plain function"
            )

    def on(self, event: str, handler: Handler | None = None, namespace: str | None = None) -> Any:
        """Register ``handler`` for ``event`` on ``namespace`` ('/' by default); or decorate.

        ``event`` may be ``'*'`` (catch-all: the event name comes first) and ``namespace`` may
        be ``'*'`` (any namespace without handlers of its own: the namespace comes first); see
        the module docstring for the argument orders.
        """
        namespace = namespace or "/"

        def register(fn: Handler) -> Handler:
            self._check_handler(fn, f"the handler of {event!r}")
            self.registry.on(event, fn, namespace)
            return fn

        return register(handler) if handler is not None else register

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Decorator registering a handler named after the function: ``@sio.event``."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            return self.on(args[0].__name__)(args[0])

        def register(fn: Handler) -> Handler:
            return self.on(fn.__name__, **kwargs)(fn)

        return register

    def register_namespace(self, namespace_handler: NamespaceHandler) -> None:
        """Register a class-based namespace instance (``Namespace`` / ``ClientNamespace``)."""
        if not hasattr(namespace_handler, "trigger_event") or not isinstance(
            getattr(namespace_handler, "namespace", None), str
        ):
            raise UsageError("a namespace handler has a 'namespace' path and 'trigger_event'")
        self._check_handler(namespace_handler.trigger_event, type(namespace_handler).__name__)
        attach = getattr(namespace_handler, "_attach", None)
        if attach is not None:  # greensio's base classes keep a reference to their owner
            attach(self)
        self.registry.register_namespace(namespace_handler)


class NamespaceBase:
    """What server and client class-based namespaces share: the path and ``on_<event>`` dispatch."""

    #: Whether its handlers may be coroutine functions (the asyncio namespaces).
    awaits_handlers = False

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace or "/"

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Dispatch ``event`` to the ``on_<event>`` method; None when there is none.

        The lifecycle handlers may leave out their trailing arguments: ``on_connect(sid,
        environ[, auth])`` and ``on_disconnect(sid[, reason])`` on the server,
        ``on_disconnect([reason])`` on the client.
        """
        handler = getattr(self, "on_" + event, None)
        if handler is None:
            return None
        if event in LIFECYCLE_EVENTS:
            return call_flexibly(handler, *args)
        return handler(*args)
