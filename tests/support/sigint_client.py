"""Ctrl+C reaches a client blocked in ``wait()`` even when the kernel hands SIGINT to another
thread (any thread may receive a process-directed signal; Python runs its handler in the main
thread only, once that thread runs bytecode again).

Usage: ``python -m tests.support.sigint_client <url> wait|receive``: blocks in ``Client.wait()`` or
in ``SimpleClient.receive()``. Prints one JSON line: whether the KeyboardInterrupt came, and
whether ``handle_sigint`` disconnected the client first.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time


def main(url: str, mode: str) -> None:
    import greensio

    # handle_sigint is on by default
    if mode == "receive":
        simple = greensio.SimpleClient(async_mode="threading", reconnection=False)
        simple.connect(url, transports=["websocket"])
        simple.receive(timeout=5)  # the server's 'welcome'
        client, block = simple.client, simple.receive
    else:
        client = greensio.Client(async_mode="threading", reconnection=False)
        client.connect(url, transports=["websocket"])
        block = client.wait

    def interrupt_from_this_thread() -> None:
        time.sleep(0.2)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)

    threading.Thread(target=interrupt_from_this_thread, daemon=True).start()
    start = time.monotonic()
    try:
        block()
        interrupted = False
    except KeyboardInterrupt:
        interrupted = True
    result = {
        "interrupted": interrupted,
        "connected": client.connected,
        "seconds": round(time.monotonic() - start, 2),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
