"""Ctrl+C disconnects every client that asked for it (python-socketio's ``handle_sigint``)."""

from __future__ import annotations

import signal
import threading
import weakref
from typing import Any

_clients: weakref.WeakSet[Any] = weakref.WeakSet()
_previous: Any = None


def register_for_sigint(client: Any) -> None:
    """Disconnect ``client`` on SIGINT, then run the handler that was there before."""
    global _previous
    _clients.add(client)
    if _previous is not None or threading.current_thread() is not threading.main_thread():
        return
    _previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, _on_sigint)


def _on_sigint(signum: int, frame: Any) -> None:
    for client in list(_clients):
        client.disconnect()
    if callable(_previous):
        _previous(signum, frame)
