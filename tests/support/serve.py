"""Run a test application on 127.0.0.1 in its own process (entry point for test servers).

Usage::

    python -m tests.support.serve --impl greensio --app tests.apps.interop:build \
        --server pywsgi --port 0 [--option key=json ...]

``--server geventwebsocket`` puts gevent-websocket's ``WebSocketHandler`` in front as pywsgi's
handler class, so WebSocket requests reach the app already accepted, as
``environ['wsgi.websocket']``.

``--server uvicorn`` and ``--server hypercorn`` serve an ASGI app instead (the factory returns one:
an ``AsyncServer`` behind ``ASGIApp``), on a socket bound here, without monkey-patching.

``--impl`` picks the Socket.IO package under test (``greensio``, or ``socketio`` for
python-socketio as a reference peer). The app factory is called as ``build(socketio, **options)``
and returns a WSGI application. The chosen port is printed as ``LISTENING <port>`` on stdout once
the server accepts connections. This is an entry point, so it monkey-patches (DESIGN.md).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys


def _load(spec: str):
    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr or "build")


def _handler(impl: str, server: str) -> dict:
    """pywsgi's handler class: gevent-websocket's when asked for (``--server geventwebsocket``), and
    for python-engineio, which uses gevent-websocket whenever it is importable and then needs it."""
    if server == "geventwebsocket":
        from geventwebsocket.handler import WebSocketHandler  # asked for: missing is an error

        return {"handler_class": WebSocketHandler}
    if impl != "socketio":
        return {}
    try:
        from geventwebsocket.handler import WebSocketHandler
    except ImportError:
        return {}
    return {"handler_class": WebSocketHandler}


WSGI_SERVERS = ("pywsgi", "geventwebsocket")
ASGI_SERVERS = ("uvicorn", "hypercorn")


def _build(args: argparse.Namespace):
    impl = importlib.import_module(args.impl)
    options = {}
    for item in args.option:
        key, _, value = item.partition("=")
        options[key] = json.loads(value)
    return _load(args.app)(impl, **options)


def serve_asgi(args: argparse.Namespace) -> None:
    """Serve the ASGI app with uvicorn or hypercorn on 127.0.0.1 (a socket bound here, so the port
    is known before the server starts: connections made meanwhile wait in its backlog)."""
    import asyncio
    import logging
    import socket

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = _build(args)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(1024)
    sock.set_inheritable(True)
    print(f"LISTENING {sock.getsockname()[1]}", flush=True)
    if args.server == "uvicorn":
        import uvicorn

        # Without permessage-deflate, as Node's engine.io (perMessageDeflate: false) and as
        # docs/asyncio.md advises: a client then inflates no frame asynchronously, behind a
        # response that the server sent after it (the official suites' upgrade checks see that).
        config = uvicorn.Config(
            app, log_level="warning", lifespan="on", ws_per_message_deflate=False
        )
        uvicorn.Server(config).run(sockets=[sock])
        return
    import hypercorn.asyncio
    import hypercorn.config

    config = hypercorn.config.Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.loglevel = "WARNING"
    asyncio.run(hypercorn.asyncio.serve(app, config))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", default="greensio", choices=["greensio", "socketio"])
    parser.add_argument("--app", required=True)
    parser.add_argument("--server", default="pywsgi", choices=[*WSGI_SERVERS, *ASGI_SERVERS])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--option", action="append", default=[])
    args = parser.parse_args(argv)
    if args.server in ASGI_SERVERS:
        serve_asgi(args)
        return

    from gevent import monkey

    monkey.patch_all()
    import logging

    import gevent.pywsgi

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = _build(args)
    server = gevent.pywsgi.WSGIServer(
        ("127.0.0.1", args.port), app, log=None, **_handler(args.impl, args.server)
    )
    server.start()
    print(f"LISTENING {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
