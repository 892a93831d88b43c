"""greensio.Client under gevent's monkey-patching, as an application would run it.

Usage: ``python -m tests.support.gevent_client <url> [closed <iterations> <deadline>]`` against a
client-peer server (greensio's or Node's). This is an entry point, so it monkey-patches first thing
(DESIGN.md); the test process never is. Prints one JSON line of observations for
``tests/client/test_client.py`` to compare.

``closed``: connect, have the server close the connection (``close_me``: socket.io's
``disconnect(true)``) while ``wait()`` blocks in another greenlet, and check that ``wait()``
returns; ``iterations`` times (or until it hung 3 times), each within ``deadline`` seconds,
alternating WebSocket and upgrade.
"""

from __future__ import annotations

import sys


def main(url: str) -> None:
    from gevent import monkey

    monkey.patch_all()

    import json
    import socket

    import gevent
    import gevent.event

    import greensio
    from tests.apps.interop import SERVER_BLOB

    blob = {"bytes": b"\x00\xff", "list": [b"a"]}
    client = greensio.Client(reconnection=False)  # async_mode: gevent, since it is imported
    welcome = gevent.event.AsyncResult()
    answer = gevent.event.AsyncResult()
    disconnect = gevent.event.AsyncResult()
    client.on("welcome", welcome.set)
    client.on("answer", answer.set)
    client.on("question", lambda data: ["answered", data])
    client.on("disconnect", disconnect.set)
    client.connect(url, auth={"user": "gevent"})
    result = {
        "async_mode": client.async_mode,
        "patched": monkey.is_module_patched("socket") and socket.socket is gevent.socket.socket,
        "welcome_auth": welcome.get(timeout=5)["auth"],
        "echo": list(client.call("echo", (1, "two"), timeout=5)),
        "binary_ok": client.call("binary", blob, timeout=5) == (SERVER_BLOB, blob),
    }
    client.emit("ask_client", "q")
    result["answer"] = answer.get(timeout=5)
    with gevent.Timeout(5):
        while client.transport() != "websocket":
            gevent.sleep(0.01)
    result["transport"] = client.transport()
    client.disconnect()
    result["disconnect"] = disconnect.get(timeout=5)
    print(json.dumps(result), flush=True)


def closed_by_server(url: str, iterations: int, deadline: float) -> None:
    from gevent import monkey

    monkey.patch_all()

    import json

    import gevent
    import gevent.event

    import greensio

    hung = []
    for n in range(iterations):
        client = greensio.Client(reconnection=False, handle_sigint=False, request_timeout=deadline)
        disconnected = gevent.event.Event()
        client.on("disconnect", lambda *args, ev=disconnected: ev.set())
        client.connect(url, transports=["websocket"] if n % 2 else None)
        waiter = gevent.spawn(client.wait)
        client.emit("close_me")
        if not (disconnected.wait(deadline) and waiter.join(deadline) is None and waiter.dead):
            hung.append({"iteration": n, "disconnect handler ran": disconnected.is_set()})
            waiter.kill()
        client.disconnect()
        if len(hung) == 3:
            break  # enough to tell; keeps a failing run inside the test's timeout
    print(json.dumps({"iterations": iterations, "hung": hung}), flush=True)


if __name__ == "__main__":
    if sys.argv[2:3] == ["closed"]:
        closed_by_server(sys.argv[1], int(sys.argv[3]), float(sys.argv[4]))
    else:
        main(sys.argv[1])
