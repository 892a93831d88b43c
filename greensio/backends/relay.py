"""Handlers run by a WebSocket's reader itself, with reading handed on when one blocks.

Starting a task for every event costs more than most handlers: under gevent a task switch in, a
switch out and the queue work around them, per message. Running the handler in the task that
reads the connection costs nothing, but a handler that blocks (``call()`` waiting for this very
client's ack, a database query) would then stop the connection being read: no acks, no PONGs.

``ReaderRelay`` lets the reader run handlers and still never leaves the connection unread. Under
a cooperative backend a task runs until it blocks, so "the handler blocked" is exactly "the event
loop got control while the reader was dispatching": a callback queued on the loop just before
dispatching (``Backend.call_soon``) sees that, and starts a new task that goes on reading. The
blocked task finishes its handler when it wakes up, like any handler task, and reads no more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from greensio.backends.base import Backend, EventLike


class ReaderRelay:
    """The reading of one connection, passed from task to task.

    Args:
        backend: a cooperative backend (``backend.cooperative``).
        resume: ``resume(*args, relay)`` reads on in the calling task; it returns True once it
            has ended the connection, False when it handed reading on again.
        *args: for ``resume``.
    """

    __slots__ = ("backend", "resume", "args", "reader", "dispatching", "_guard_pending", "done")

    def __init__(self, backend: Backend, resume: Callable[..., bool], *args: Any) -> None:
        self.backend = backend
        self.resume = resume
        self.args = args
        #: The task reading now (None between a hand-over and the new task's start).
        self.reader: object | None = backend.current_task()
        #: True while the reader runs dispatched work; a block there hands reading on.
        self.dispatching = False
        self._guard_pending = False
        #: Made at the first hand-over (most connections never have one: one object less for
        #: each); set once the connection has ended, by whichever task was reading then.
        self.done: EventLike | None = None

    def dispatch(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Run ``fn(*args)`` in the reader (the calling task). Returns False when reading moved
        to another task meanwhile: the caller must then stop reading."""
        me = self.reader
        self.dispatching = True
        if not self._guard_pending:
            self._guard_pending = True
            self.backend.call_soon(self._guard)
        try:
            fn(*args)
        finally:
            if self.reader is me:
                self.dispatching = False
        return self.reader is me

    def may_run_inline(self) -> bool:
        """Whether the calling task is this connection's reader, dispatching under the guard:
        work it runs itself cannot stop the reading."""
        return self.dispatching and self.reader is self.backend.current_task()

    def _guard(self) -> None:
        """Runs when the event loop next gets control: if the reader is still dispatching, it
        blocked there, and a new task takes over the reading."""
        self._guard_pending = False
        if self.dispatching:
            self.dispatching = False
            self.reader = None
            if self.done is None:
                self.done = self.backend.event()
            self.backend.run_soon(self._read_on)

    def _read_on(self) -> None:
        self.reader = self.backend.current_task()
        ended = False
        try:
            ended = self.resume(*self.args, self)
        finally:
            if (ended or self.reader is self.backend.current_task()) and self.done is not None:
                self.done.set()  # ended here (or failed here): nobody else will


def run_here_in_order(tasks: Any, fn: Callable[..., Any], *args: Any) -> None:
    """Like ``tasks.run_in_order(fn, *args)`` (a ``TaskQueue``), but in the calling task when
    nothing is queued or running there (it then also runs what gets queued meanwhile): for a
    reader that may block harmlessly, under a ``ReaderRelay``."""
    if tasks.claim(fn, args):
        tasks.drain()
