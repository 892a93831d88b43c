"""greensio.Client under gevent's monkey-patching, as an application would run it.

Usage: ``python -m tests.support.gevent_client <url>`` against a client-peer server (greensio's or
Node's). This is an entry point, so it monkey-patches first thing (DESIGN.md); the test process
never is. Prints one JSON line of observations for ``tests/client/test_client.py`` to compare.
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


if __name__ == "__main__":
    main(sys.argv[1])
